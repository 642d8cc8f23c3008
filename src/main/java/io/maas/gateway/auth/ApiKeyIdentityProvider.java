package io.maas.gateway.auth;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.identity.AuthenticationRequestContext;
import io.quarkus.security.identity.IdentityProvider;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.runtime.QuarkusPrincipal;
import io.quarkus.security.runtime.QuarkusSecurityIdentity;
import io.smallrye.mutiny.Uni;

/** Turns a presented API key into a security identity carrying its tenant, key id and roles. */
@ApplicationScoped
public class ApiKeyIdentityProvider implements IdentityProvider<ApiKeyAuthenticationRequest> {
    public static final String ATTR_TENANT_ID = "maas.tenant-id";
    public static final String ATTR_API_KEY_ID = "maas.api-key-id";
    /** {@code Set<String>} of model ids the caller may use; absent or empty means every model. */
    public static final String ATTR_ALLOWED_MODELS = "maas.allowed-models";

    @Inject
    ApiKeyService keys;
    @Inject
    LastUsedRecorder lastUsed;

    @Override
    public Class<ApiKeyAuthenticationRequest> getRequestType() {
        return ApiKeyAuthenticationRequest.class;
    }

    @Override
    public Uni<SecurityIdentity> authenticate(ApiKeyAuthenticationRequest request, AuthenticationRequestContext context) {
        // Cache hit: answered on the calling thread, no database and no hop to a worker thread.
        var cached = keys.cached(request.secret());
        if (cached.isPresent()) {
            return Uni.createFrom().item(identity(cached.get()));
        }
        return context.runBlocking(() -> keys.authenticateShared(request.secret()).map(this::identity)
                .orElseThrow(() -> new AuthenticationFailedException("invalid API key")));
    }

    private SecurityIdentity identity(ApiKeyService.KeyPrincipal p) {
        lastUsed.touch(p.keyId());
        return QuarkusSecurityIdentity.builder()
                .setPrincipal(new QuarkusPrincipal("key:" + p.keyId()))
                .addRoles(p.roles())
                .addAttribute(ATTR_TENANT_ID, p.tenantId())
                .addAttribute(ATTR_API_KEY_ID, p.keyId())
                .addAttribute(ATTR_ALLOWED_MODELS, p.allowedModels())
                .build();
    }
}
