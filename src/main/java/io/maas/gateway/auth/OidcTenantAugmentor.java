package io.maas.gateway.auth;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.json.JsonString;

import org.eclipse.microprofile.jwt.JsonWebToken;

import io.quarkus.security.identity.AuthenticationRequestContext;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.SecurityIdentityAugmentor;
import io.quarkus.security.runtime.QuarkusSecurityIdentity;
import io.smallrye.mutiny.Uni;

/**
 * Gives identities from Keycloak access tokens the same {@code maas.tenant-id} attribute API keys carry,
 * from the token's {@code tenant_id} claim (a protocol mapper of the realm copies it from the user's or
 * service account's attribute; see docs/adr/0007-identity.md), so {@link Caller} works for both. Roles come
 * from {@code realm_access/roles} (quarkus.oidc.roles.role-claim-path). A token without the claim gets no
 * tenant: tenant-scoped endpoints then answer 403.
 */
@ApplicationScoped
public class OidcTenantAugmentor implements SecurityIdentityAugmentor {
    public static final String TENANT_CLAIM = "tenant_id";

    @Override
    public Uni<SecurityIdentity> augment(SecurityIdentity identity, AuthenticationRequestContext context) {
        if (identity.isAnonymous() || identity.getAttribute(ApiKeyIdentityProvider.ATTR_TENANT_ID) != null
                || !(identity.getPrincipal() instanceof JsonWebToken token)) {
            return Uni.createFrom().item(identity);
        }
        String tenant = claimText(token.getClaim(TENANT_CLAIM));
        if (tenant == null || tenant.isBlank()) {
            return Uni.createFrom().item(identity);
        }
        return Uni.createFrom().item(QuarkusSecurityIdentity.builder(identity)
                .addAttribute(ApiKeyIdentityProvider.ATTR_TENANT_ID, tenant)
                .build());
    }

    private static String claimText(Object claim) {
        if (claim instanceof JsonString json) {
            return json.getString();
        }
        return claim instanceof String text ? text : null;
    }
}
