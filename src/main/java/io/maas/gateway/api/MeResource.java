package io.maas.gateway.api;

import java.util.List;

import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import com.fasterxml.jackson.annotation.JsonProperty;

import io.maas.gateway.auth.Caller;
import io.maas.gateway.auth.Roles;
import io.quarkus.security.identity.SecurityIdentity;

/** {@code GET /v1/me}: who the presented credential (API key or access token) acts as. */
@Path("/v1/me")
@Produces(MediaType.APPLICATION_JSON)
@RolesAllowed({ Roles.TENANT_MEMBER, Roles.TENANT_ADMIN, Roles.PROVIDER, Roles.PLATFORM_ADMIN })
public class MeResource {
    @Inject
    SecurityIdentity identity;

    /** The caller as the API shows it. */
    public record Me(
            String object,
            String principal,
            @JsonProperty("tenant_id") String tenantId,
            List<String> roles,
            @JsonProperty("api_key_id") String apiKeyId,
            @JsonProperty("allowed_models") List<String> allowedModels) {
    }

    @GET
    public Me me() {
        Caller caller = Caller.of(identity);
        return new Me("caller", caller.principal(), caller.tenantId(), identity.getRoles().stream().sorted().toList(),
                caller.apiKeyId() == null ? null : caller.apiKeyId().toString(),
                caller.allowedModels().stream().sorted().toList());
    }
}
