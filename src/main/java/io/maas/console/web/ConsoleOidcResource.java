package io.maas.console.web;

import java.net.URI;
import java.time.Instant;
import java.util.Map;

import jakarta.annotation.security.PermitAll;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.eclipse.microprofile.config.ConfigProvider;
import org.eclipse.microprofile.jwt.JsonWebToken;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import io.maas.console.session.ConsoleSession;
import io.maas.console.session.ConsoleSessions;
import io.maas.gateway.auth.ApiKeyIdentityProvider;
import io.quarkus.oidc.AuthorizationCodeFlow;
import io.quarkus.oidc.Tenant;
import io.quarkus.security.Authenticated;
import io.quarkus.security.UnauthorizedException;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.runtime.QuarkusPrincipal;
import io.quarkus.security.runtime.QuarkusSecurityIdentity;
import io.quarkus.vertx.http.runtime.security.ChallengeData;
import io.quarkus.vertx.http.runtime.security.HttpAuthenticator;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;

/**
 * Single sign-on for the console through Keycloak: the OIDC authorization-code flow (with PKCE) of the named
 * OIDC tenant {@value #TENANT} (application type web-app, the realm's public client), enabled when
 * {@code MAAS_OIDC_URL} is set. Once Keycloak has vouched for the user, the console opens its own session
 * with the user's roles and tenant (the same claims as API tokens), so every console page, CSRF check and
 * logout works the same for both kinds of login.
 */
@Path("/console/oidc")
@Produces(MediaType.TEXT_HTML)
public class ConsoleOidcResource {
    /** The named OIDC tenant (quarkus.oidc.console.*). */
    public static final String TENANT = "console";

    @Inject
    ConsoleSessions sessions;
    @Inject
    SecurityIdentity identity;

    /** Whether the console's OIDC tenant is configured (the launcher enables it with MAAS_OIDC_URL). */
    public static boolean enabled() {
        return ConfigProvider.getConfig().getOptionalValue("quarkus.oidc." + TENANT + ".tenant-enabled", Boolean.class)
                .orElse(false);
    }

    /** The "log in with single sign-on" link: to the code flow when configured, else back to the key login. */
    @GET
    @Path("login")
    @PermitAll
    public Response login() {
        return ConsolePages.redirect(enabled() ? "/console/oidc/session" : "/console/login");
    }

    /** Reached only when Keycloak authenticated the user (the code flow redirects there first). */
    @GET
    @Path("session")
    @Authenticated
    @AuthorizationCodeFlow
    @Tenant(TENANT)
    public Response session(HttpServerRequest request) {
        String tenant = identity.getAttribute(ApiKeyIdentityProvider.ATTR_TENANT_ID);
        QuarkusSecurityIdentity.Builder user = QuarkusSecurityIdentity.builder()
                .setPrincipal(new QuarkusPrincipal(identity.getPrincipal().getName()))
                .addRoles(identity.getRoles());
        if (tenant != null) {
            user.addAttribute(ApiKeyIdentityProvider.ATTR_TENANT_ID, tenant);
        }
        Instant expires = null;
        if (identity.getPrincipal() instanceof JsonWebToken token && token.getExpirationTime() > 0) {
            expires = Instant.ofEpochSecond(token.getExpirationTime());
        }
        // The console session ends when the token Keycloak issued would: a user disabled in Keycloak loses the
        // console within the token lifespan, as for API calls.
        ConsoleSession session = sessions.openForOidc(user.build(), expires);
        boolean secure = ConsoleLoginResource.secure(request);
        return Response.seeOther(URI.create("/console"))
                .header("Set-Cookie", ConsoleSessions.cookie(ConsoleSessions.COOKIE, session.id(), secure, -1)).build();
    }

    /** Not yet authenticated by Keycloak: the code flow's challenge, a redirect to Keycloak's login page. */
    @ServerExceptionMapper
    public Uni<Response> challenge(UnauthorizedException e, RoutingContext context) {
        HttpAuthenticator authenticator = context.get(HttpAuthenticator.class.getName());
        if (authenticator == null) {
            return Uni.createFrom().item(ConsolePages.toLogin());
        }
        return authenticator.getChallenge(context).map(challenge -> response(challenge));
    }

    private static Response response(ChallengeData challenge) {
        if (challenge == null) {
            return ConsolePages.toLogin();
        }
        Response.ResponseBuilder out = Response.status(challenge.status);
        for (Map.Entry<CharSequence, String> h : challenge.getHeaders().entrySet()) {
            out.header(h.getKey().toString(), h.getValue());
        }
        return out.build();
    }
}
