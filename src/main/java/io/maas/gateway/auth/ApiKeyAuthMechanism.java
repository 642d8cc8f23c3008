package io.maas.gateway.auth;

import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.quarkus.security.identity.IdentityProviderManager;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.request.AuthenticationRequest;
import io.quarkus.vertx.http.runtime.security.ChallengeData;
import io.quarkus.vertx.http.runtime.security.HttpAuthenticationMechanism;
import io.smallrye.mutiny.Uni;
import io.vertx.ext.web.RoutingContext;

/**
 * Reads {@code Authorization: Bearer sk-...}. Other bearer tokens are left to other mechanisms (OIDC),
 * so API keys and Keycloak tokens can be used side by side; an access token that OIDC validated within
 * {@code maas.auth.key-cache-ttl} (and before its expiry) is answered from {@link VerifiedTokenCache}. Runs first, so a source over its
 * failed-authentication limit is refused (429) before any key lookup or token validation.
 */
@ApplicationScoped
public class ApiKeyAuthMechanism implements HttpAuthenticationMechanism {
    private static final String BEARER = "bearer ";

    @Inject
    AuthFailureLimiter failures;
    @Inject
    VerifiedTokenCache verifiedTokens;

    @Override
    public Uni<SecurityIdentity> authenticate(RoutingContext context, IdentityProviderManager identityProviderManager) {
        if (context.request().getHeader(HttpHeaderNames.AUTHORIZATION) != null) {
            long retryAfter = failures.retryAfterSeconds(sourceOf(context));
            if (retryAfter > 0) {
                return Uni.createFrom().failure(new AuthenticationRateLimitedException(retryAfter));
            }
        }
        String secret = bearerApiKey(context);
        if (secret == null) {
            // Another bearer token: an access token validated a moment ago is taken as it was (VerifiedTokenCache);
            // anything else is left to OIDC.
            return Uni.createFrom().optional(verifiedTokens.get(bearerToken(context)));
        }
        return identityProviderManager.authenticate(new ApiKeyAuthenticationRequest(secret));
    }

    /** The client address failures are counted against (X-Forwarded-For only when proxy forwarding is on). */
    public static String sourceOf(RoutingContext context) {
        var address = context.request().remoteAddress();
        return address == null ? null : address.hostAddress();
    }

    @Override
    public int getPriority() {
        return DEFAULT_PRIORITY + 100;
    }

    static String bearerToken(RoutingContext context) {
        String header = context.request().getHeader(HttpHeaderNames.AUTHORIZATION);
        if (header == null || header.length() <= BEARER.length()
                || !header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return null;
        }
        return header.substring(BEARER.length()).trim();
    }

    static String bearerApiKey(RoutingContext context) {
        String header = context.request().getHeader(HttpHeaderNames.AUTHORIZATION);
        if (header == null || header.length() <= BEARER.length()
                || !header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return null;
        }
        String token = header.substring(BEARER.length()).trim();
        return ApiKeySecrets.looksLikeKey(token) ? token : null;
    }

    @Override
    public Uni<ChallengeData> getChallenge(RoutingContext context) {
        return Uni.createFrom().item(new ChallengeData(HttpResponseStatus.UNAUTHORIZED.code(),
                HttpHeaderNames.WWW_AUTHENTICATE, "Bearer"));
    }

    @Override
    public Set<Class<? extends AuthenticationRequest>> getCredentialTypes() {
        return Set.of(ApiKeyAuthenticationRequest.class);
    }
}
