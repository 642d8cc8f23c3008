package io.maas.gateway.auth;

import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;

import org.eclipse.microprofile.jwt.JsonWebToken;

import io.quarkus.security.identity.AuthenticationRequestContext;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.SecurityIdentityAugmentor;
import io.quarkus.security.runtime.QuarkusSecurityIdentity;
import io.smallrye.mutiny.Uni;

/**
 * Gives identities from Keycloak access tokens the same {@code maas.tenant-id} attribute API keys carry, so
 * {@link Caller} works for both. The tenant comes from the token's {@code tenant_id} claim when it has one
 * (a protocol mapper copies it from the user's attribute; ADR 0007), roles then from {@code realm_access/roles}.
 * A token without the claim is mapped through tenant membership (ADR 0013): by its {@code sub}, else by its
 * email when {@code email_verified} is true; the membership's role then replaces the token's tenant roles
 * (platform-admin from the realm stays). A token with neither gets no tenant: tenant-scoped endpoints answer 403.
 */
@ApplicationScoped
public class OidcTenantAugmentor implements SecurityIdentityAugmentor {
    public static final String TENANT_CLAIM = "tenant_id";
    /** Set on identities whose tenant comes from a membership: the member's id. */
    public static final String ATTR_MEMBER_ID = "maas.member-id";

    @Inject
    MembershipService memberships;
    @Inject
    VerifiedTokenCache verifiedTokens;

    /** Runs after any other augmentor, so the identity remembered for the token is the final one. */
    @Override
    public int priority() {
        return Integer.MIN_VALUE + 1;
    }

    @Override
    public Uni<SecurityIdentity> augment(SecurityIdentity identity, AuthenticationRequestContext context) {
        if (identity.isAnonymous() || identity.getAttribute(ApiKeyIdentityProvider.ATTR_TENANT_ID) != null
                || !(identity.getPrincipal() instanceof JsonWebToken token)) {
            return Uni.createFrom().item(identity);
        }
        return mapTenant(identity, token, context).invoke(mapped -> verifiedTokens.put(token.getRawToken(),
                token.getExpirationTime(), mapped));
    }

    private Uni<SecurityIdentity> mapTenant(SecurityIdentity identity, JsonWebToken token,
            AuthenticationRequestContext context) {
        String tenant = claimText(token.getClaim(TENANT_CLAIM));
        if (tenant != null && !tenant.isBlank()) {
            return Uni.createFrom().item(QuarkusSecurityIdentity.builder(identity)
                    .addAttribute(ApiKeyIdentityProvider.ATTR_TENANT_ID, tenant)
                    .build());
        }
        String subject = token.getSubject();
        String email = Boolean.TRUE.equals(claimBoolean(token.getClaim("email_verified")))
                ? claimText(token.getClaim("email")) : null;
        if (subject == null && email == null) {
            return Uni.createFrom().item(identity);
        }
        // A database read (on a cache miss): never on the event loop.
        return context.runBlocking(() -> withMembership(identity, memberships.lookup(subject, email)));
    }

    private static SecurityIdentity withMembership(SecurityIdentity identity,
            Optional<MembershipService.Membership> membership) {
        if (membership.isEmpty()) {
            return identity;
        }
        Set<String> roles = new HashSet<>(identity.getRoles());
        roles.removeAll(MembershipService.MEMBER_ROLES);
        roles.add(membership.get().role());
        QuarkusSecurityIdentity.Builder builder = QuarkusSecurityIdentity.builder()
                .setPrincipal(identity.getPrincipal())
                .addCredentials(identity.getCredentials())
                .addAttributes(identity.getAttributes())
                .addRoles(roles)
                .addAttribute(ApiKeyIdentityProvider.ATTR_TENANT_ID, membership.get().tenantId())
                .addAttribute(ATTR_MEMBER_ID, membership.get().memberId());
        return builder.build();
    }

    private static String claimText(Object claim) {
        if (claim instanceof JsonString json) {
            return json.getString();
        }
        return claim instanceof String text ? text : null;
    }

    private static Boolean claimBoolean(Object claim) {
        if (claim instanceof Boolean b) {
            return b;
        }
        if (claim instanceof JsonValue json) {
            return json.getValueType() == JsonValue.ValueType.TRUE;
        }
        return null;
    }
}
