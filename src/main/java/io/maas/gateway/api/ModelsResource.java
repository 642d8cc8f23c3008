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

import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.ExampleObject;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

import io.maas.gateway.auth.Caller;
import io.maas.gateway.auth.Roles;
import io.maas.gateway.inference.AdapterRegistry;
import io.maas.gateway.inference.EmbeddingRegistry;
import io.maas.gateway.inference.ModelRegistry;
import io.maas.gateway.openai.ModelCard;
import io.maas.gateway.openai.ModelList;
import io.quarkus.security.identity.SecurityIdentity;

/** {@code GET /v1/models} and {@code GET /v1/models/{id}}: the served models the caller's key may use. */
@Path("/v1/models")
@Produces(MediaType.APPLICATION_JSON)
@RolesAllowed({ Roles.TENANT_MEMBER, Roles.TENANT_ADMIN, Roles.PLATFORM_ADMIN })
public class ModelsResource {
    static final String OWNER = "maas";

    @Inject
    ModelRegistry models;
    @Inject
    EmbeddingRegistry embeddings;
    @Inject
    AdapterRegistry adapters;
    @Inject
    SecurityIdentity identity;
    @Inject
    io.maas.gateway.routing.WorkerFleet fleet;

    @GET
    @APIResponse(responseCode = "200", content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = ModelList.class),
            examples = @ExampleObject(name = "a base model and its adapter", value = OpenApiExamples.MODEL_LIST)))
    public ModelList list() {
        Caller caller = Caller.of(identity);
        List<ModelCard> cards = new ArrayList<>(models.modelIds().stream().filter(caller::mayUse).map(this::card).toList());
        adapters.all().stream().filter(a -> caller.mayUse(a.id()) && adapters.visibleTo(a, caller.tenantId()))
                .forEach(a -> cards.add(new ModelCard(a.id(), "model", 0, a.provider(), a.baseModel())));
        java.util.stream.Stream.concat(embeddings.modelIds().stream(), fleet.embeddingModels().stream()).distinct()
                .filter(caller::mayUse).forEach(id -> cards.add(new ModelCard(id, "model", 0, OWNER, null)));
        return ModelList.of(cards);
    }

    @GET
    @Path("{id}")
    @APIResponse(responseCode = "200", content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = ModelCard.class),
            examples = @ExampleObject(name = "an adapter", value = OpenApiExamples.MODEL)))
    @APIResponse(responseCode = "404", description = "Unknown model", content = @Content(
            mediaType = MediaType.APPLICATION_JSON, examples = @ExampleObject(name = "unknown model", value = OpenApiExamples.ERROR_404)))
    public ModelCard get(@PathParam("id") String id) {
        Caller caller = Caller.of(identity);
        // A model the caller's key may not use answers as if it did not exist, as OpenAI does.
        return models.find(id).filter(engine -> caller.mayUse(id)).map(engine -> card(engine.modelId()))
                .or(() -> adapters.find(id).filter(a -> caller.mayUse(id) && adapters.visibleTo(a, caller.tenantId()))
                        .map(a -> new ModelCard(a.id(), "model", 0, a.provider(), a.baseModel())))
                .or(() -> embeddings.find(id).map(m -> m.id()).or(() -> fleet.embeddingModels().contains(id)
                        ? java.util.Optional.of(id) : java.util.Optional.empty()).filter(m -> caller.mayUse(id))
                        .map(m -> new ModelCard(m, "model", 0, OWNER, null)))
                .orElseThrow(() -> OpenAiException.modelNotFound(id));
    }

    private ModelCard card(String id) {
        return new ModelCard(id, "model", models.loadedAt(id).getEpochSecond(), OWNER, null);
    }
}
