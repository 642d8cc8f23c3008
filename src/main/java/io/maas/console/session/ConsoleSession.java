package io.maas.console.session;

import java.time.Instant;

import io.quarkus.security.identity.SecurityIdentity;

/**
 * One logged-in browser. Held only on the server; the browser holds the opaque id. A key login keeps the API
 * key's secret here (never sent back) so every page re-authenticates it like an API call: a revoked key ends
 * the session within the key cache's TTL. An OIDC login keeps the identity Keycloak vouched for, until the
 * token it came from expires.
 *
 * @param apiKeySecret the key logged in with; null for an OIDC login
 * @param oidcIdentity the identity of an OIDC login; null for a key login
 * @param expiresAt the absolute end (login + max age, or the token's expiry if earlier)
 */
public record ConsoleSession(String id, String csrfToken, String apiKeySecret, SecurityIdentity oidcIdentity,
        Instant createdAt, Instant expiresAt) {

    @Override
    public String toString() {
        // Never print the secret or the CSRF token.
        return "ConsoleSession[" + id.substring(0, 6) + "..., created " + createdAt + "]";
    }
}
