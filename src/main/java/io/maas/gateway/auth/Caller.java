package io.maas.gateway.auth;

import java.util.Set;
import java.util.UUID;

import io.quarkus.security.identity.SecurityIdentity;

/** The tenant and key a request acts for, read once from the security identity (API key or OIDC token). */
public record Caller(String tenantId, UUID apiKeyId, SecurityIdentity identity) {

    public static Caller of(SecurityIdentity identity) {
        String tenant = identity.getAttribute(ApiKeyIdentityProvider.ATTR_TENANT_ID);
        UUID keyId = identity.getAttribute(ApiKeyIdentityProvider.ATTR_API_KEY_ID);
        if (tenant == null) {
            throw new io.quarkus.security.ForbiddenException("the caller belongs to no tenant");
        }
        return new Caller(tenant, keyId, identity);
    }

    /** The name the audit log records: {@code key:<uuid>} for API keys, the user or client for tokens. */
    public String principal() {
        return identity.getPrincipal().getName();
    }

    public boolean isPlatformAdmin() {
        return identity.hasRole(Roles.PLATFORM_ADMIN);
    }

    /** Model ids this caller may use; empty means every model. */
    public Set<String> allowedModels() {
        Set<String> allowed = identity.getAttribute(ApiKeyIdentityProvider.ATTR_ALLOWED_MODELS);
        return allowed == null ? Set.of() : allowed;
    }

    public boolean mayUse(String modelId) {
        Set<String> allowed = allowedModels();
        return allowed.isEmpty() || allowed.contains(modelId);
    }
}
