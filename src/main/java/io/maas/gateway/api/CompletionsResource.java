package io.maas.gateway.api;

import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import io.maas.gateway.auth.Caller;
import io.maas.gateway.auth.Roles;
import io.maas.gateway.completion.CompletionService;
import io.maas.gateway.metering.TraceContext;
import io.maas.gateway.openai.CompletionRequest;
import io.maas.gateway.openai.CompletionResponse;
import io.maas.gateway.openai.WireJson;
import io.quarkus.security.identity.SecurityIdentity;

/** {@code POST /v1/completions}. */
@Path("/v1/completions")
public class CompletionsResource {
    @Inject
    CompletionService completions;
    @Inject
    SecurityIdentity identity;

    @POST
    @Consumes(MediaType.WILDCARD)
    @Produces(MediaType.APPLICATION_JSON)
    @RolesAllowed({ Roles.TENANT_MEMBER, Roles.TENANT_ADMIN, Roles.PLATFORM_ADMIN })
    public CompletionResponse complete(byte[] body, @HeaderParam(TraceContext.HEADER) String traceparent) {
        return completions.complete(Caller.of(identity), WireJson.read(body, CompletionRequest.class),
                TraceContext.fromHeader(traceparent));
    }
}
