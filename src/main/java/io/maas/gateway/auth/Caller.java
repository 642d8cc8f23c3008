package io.maas.gateway.auth;

import java.util.UUID;

import io.quarkus.security.identity.SecurityIdentity;

/** The tenant and key a request acts for, read once from the security identity. */
public record Caller(String tenantId, UUID apiKeyId, SecurityIdentity identity) {

    public static Caller of(SecurityIdentity identity) {
        String tenant = identity.getAttribute(ApiKeyIdentityProvider.ATTR_TENANT_ID);
        UUID keyId = identity.getAttribute(ApiKeyIdentityProvider.ATTR_API_KEY_ID);
        if (tenant == null) {
            throw new io.quarkus.security.ForbiddenException("the caller belongs to no tenant");
        }
        return new Caller(tenant, keyId, identity);
    }
}
