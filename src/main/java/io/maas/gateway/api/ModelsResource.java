package io.maas.gateway.api;

import java.util.ArrayList;
import java.util.List;

import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import io.maas.gateway.auth.Roles;
import io.maas.gateway.inference.EmbeddingRegistry;
import io.maas.gateway.inference.ModelRegistry;
import io.maas.gateway.openai.ModelCard;
import io.maas.gateway.openai.ModelList;

/** {@code GET /v1/models} and {@code GET /v1/models/{id}}: the models this gateway serves. */
@Path("/v1/models")
@Produces(MediaType.APPLICATION_JSON)
@RolesAllowed({ Roles.TENANT_MEMBER, Roles.TENANT_ADMIN, Roles.PLATFORM_ADMIN })
public class ModelsResource {
    static final String OWNER = "maas";

    @Inject
    ModelRegistry models;
    @Inject
    EmbeddingRegistry embeddings;

    @GET
    public ModelList list() {
        List<ModelCard> cards = new ArrayList<>(models.modelIds().stream().map(this::card).toList());
        embeddings.modelIds().forEach(id -> cards.add(new ModelCard(id, "model", 0, OWNER, null)));
        return ModelList.of(cards);
    }

    @GET
    @Path("{id}")
    public ModelCard get(@PathParam("id") String id) {
        return models.find(id).map(engine -> card(engine.modelId()))
                .or(() -> embeddings.find(id).map(m -> new ModelCard(m.id(), "model", 0, OWNER, null)))
                .orElseThrow(() -> OpenAiException.modelNotFound(id));
    }

    private ModelCard card(String id) {
        return new ModelCard(id, "model", models.loadedAt(id).getEpochSecond(), OWNER, null);
    }
}
