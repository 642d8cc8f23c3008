package io.maas.gateway.api;

import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import io.maas.gateway.auth.Roles;
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

    @GET
    public ModelList list() {
        return ModelList.of(models.modelIds().stream().map(this::card).toList());
    }

    @GET
    @Path("{id}")
    public ModelCard get(@PathParam("id") String id) {
        return models.find(id).map(engine -> card(engine.modelId()))
                .orElseThrow(() -> OpenAiException.modelNotFound(id));
    }

    private ModelCard card(String id) {
        return new ModelCard(id, "model", models.loadedAt(id).getEpochSecond(), OWNER, null);
    }
}
