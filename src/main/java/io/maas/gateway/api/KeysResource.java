package io.maas.gateway.api;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import io.maas.gateway.auth.ApiKeyEntity;
import io.maas.gateway.auth.ApiKeyService;
import io.maas.gateway.auth.Caller;
import io.maas.gateway.auth.KeyManagementService;
import io.maas.gateway.auth.Roles;
import io.maas.gateway.openai.WireJson;
import io.quarkus.security.identity.SecurityIdentity;

/**
 * {@code /v1/keys}: a tenant's API keys, managed by its tenant admins (platform admins: any tenant's).
 * The secret is in the answer to the create call only.
 */
@Path("/v1/keys")
@Produces(MediaType.APPLICATION_JSON)
@RolesAllowed({ Roles.TENANT_ADMIN, Roles.PLATFORM_ADMIN })
public class KeysResource {
    @Inject
    KeyManagementService keys;
    @Inject
    SecurityIdentity identity;

    /** Body of {@code POST /v1/keys}. */
    public record CreateKeyRequest(
            String name,
            List<String> roles,
            @JsonProperty("allowed_models") List<String> allowedModels,
            @JsonProperty("tenant_id") String tenantId) {
    }

    /** Body of {@code PATCH /v1/keys/{id}}: fields left out are not changed. */
    public record UpdateKeyRequest(String name, @JsonProperty("allowed_models") List<String> allowedModels) {
    }

    /** A key as the API shows it: never its secret, except {@code secret} in the answer to create. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record KeyView(
            String id,
            String object,
            String name,
            String prefix,
            @JsonProperty("tenant_id") String tenantId,
            List<String> roles,
            @JsonProperty("allowed_models") List<String> allowedModels,
            @JsonProperty("created_at") Instant createdAt,
            @JsonProperty("last_used_at") @JsonInclude(JsonInclude.Include.ALWAYS) Instant lastUsedAt,
            @JsonProperty("revoked_at") @JsonInclude(JsonInclude.Include.ALWAYS) Instant revokedAt,
            String secret) {

        static KeyView of(ApiKeyEntity key, String secret) {
            return new KeyView(key.id.toString(), "api_key", key.name, key.keyPrefix, key.tenantId,
                    key.roleSet().stream().sorted().toList(), List.of(key.allowedModels), key.createdAt,
                    key.lastUsedAt, key.revokedAt, secret);
        }
    }

    /** The {@code list} object of {@code GET /v1/keys}. */
    public record KeyList(String object, List<KeyView> data) {
    }

    @POST
    @Consumes(MediaType.WILDCARD)
    public Response create(byte[] body) {
        CreateKeyRequest request = WireJson.read(body, CreateKeyRequest.class);
        ApiKeyService.CreatedKey created = keys.create(Caller.of(identity), request.tenantId(), request.name(),
                request.roles(), request.allowedModels());
        return Response.status(201).entity(KeyView.of(created.key(), created.secret())).build();
    }

    @GET
    public KeyList list(@QueryParam("tenant_id") String tenantId) {
        return new KeyList("list", keys.list(Caller.of(identity), tenantId).stream().map(k -> KeyView.of(k, null))
                .toList());
    }

    @GET
    @Path("{id}")
    public KeyView get(@PathParam("id") String id) {
        return KeyView.of(keys.get(Caller.of(identity), keyId(id)), null);
    }

    @PATCH
    @Path("{id}")
    @Consumes(MediaType.WILDCARD)
    public KeyView update(@PathParam("id") String id, byte[] body) {
        UpdateKeyRequest request = WireJson.read(body, UpdateKeyRequest.class);
        return KeyView.of(keys.update(Caller.of(identity), keyId(id),
                new KeyManagementService.KeyUpdate(request.name(), request.allowedModels())), null);
    }

    /** Revokes the key (it stays listed, with {@code revoked_at}). */
    @DELETE
    @Path("{id}")
    public KeyView revoke(@PathParam("id") String id) {
        return KeyView.of(keys.revoke(Caller.of(identity), keyId(id)), null);
    }

    private static UUID keyId(String id) {
        try {
            return UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            throw new OpenAiException(404, OpenAiException.INVALID_REQUEST, "No API key with id '" + id + "'.", null,
                    "not_found");
        }
    }
}
