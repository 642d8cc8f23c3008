package io.maas.console.session;

import java.util.Optional;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.maas.gateway.auth.ApiKeyAuthenticationRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.quarkus.security.identity.IdentityProviderManager;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.request.AuthenticationRequest;
import io.quarkus.vertx.http.runtime.security.ChallengeData;
import io.quarkus.vertx.http.runtime.security.HttpAuthenticationMechanism;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.Cookie;
import io.vertx.ext.web.RoutingContext;

/**
 * Authenticates console pages from the session cookie. Only under {@code /console}, and only when the request
 * carries no {@code Authorization} header (an API key or token sent explicitly wins, and then no cookie is
 * involved, so CSRF cannot apply). A key session re-authenticates its key through the same identity provider
 * as the API, so roles, tenant and revocation are exactly the API's; a key that no longer authenticates ends
 * the session instead of counting as a failed login.
 */
@ApplicationScoped
public class ConsoleSessionAuthMechanism implements HttpAuthenticationMechanism {
    /** Routing-context key under which the request's session is left for the console resources. */
    public static final String SESSION_KEY = "maas.console.session";

    @Inject
    ConsoleSessions sessions;

    @Override
    public Uni<SecurityIdentity> authenticate(RoutingContext context, IdentityProviderManager identityProviderManager) {
        if (!isConsolePath(context.normalizedPath())
                || context.request().getHeader(HttpHeaderNames.AUTHORIZATION) != null) {
            return Uni.createFrom().optional(Optional.empty());
        }
        Cookie cookie = context.request().getCookie(ConsoleSessions.COOKIE);
        Optional<ConsoleSession> found = cookie == null ? Optional.empty() : sessions.find(cookie.getValue());
        if (found.isEmpty()) {
            return Uni.createFrom().optional(Optional.empty());
        }
        ConsoleSession session = found.get();
        context.put(SESSION_KEY, session);
        if (session.oidcIdentity() != null) {
            return Uni.createFrom().item(session.oidcIdentity());
        }
        return identityProviderManager.authenticate(new ApiKeyAuthenticationRequest(session.apiKeySecret()))
                .onFailure().recoverWithUni(failure -> {
                    sessions.close(session.id());
                    context.remove(SESSION_KEY);
                    return Uni.createFrom().optional(Optional.empty());
                });
    }

    static boolean isConsolePath(String path) {
        return path != null && (path.equals("/console") || path.startsWith("/console/"));
    }

    @Override
    public Uni<ChallengeData> getChallenge(RoutingContext context) {
        // Console resources map the unauthenticated case to a redirect to the login page themselves.
        return Uni.createFrom().nullItem();
    }

    @Override
    public Set<Class<? extends AuthenticationRequest>> getCredentialTypes() {
        return Set.of(ApiKeyAuthenticationRequest.class);
    }

    @Override
    public int getPriority() {
        // Before the API-key mechanism (which ignores requests without an Authorization header anyway).
        return DEFAULT_PRIORITY + 200;
    }
}
