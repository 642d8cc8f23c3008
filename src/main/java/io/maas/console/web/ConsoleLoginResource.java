package io.maas.console.web;

import java.util.Optional;

import jakarta.annotation.security.PermitAll;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.CookieParam;
import jakarta.ws.rs.FormParam;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import io.maas.console.session.ConsoleSession;
import io.maas.console.session.ConsoleSessions;
import io.maas.gateway.auth.ApiKeyService;
import io.maas.gateway.auth.AuthFailureLimiter;
import io.quarkus.qute.Location;
import io.quarkus.qute.Template;
import io.quarkus.security.Authenticated;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;
import io.vertx.core.http.HttpServerRequest;

/**
 * Console entry: the login form (an API key: the bootstrap admin key or any valid key), logout, and the start
 * page that sends each user to the pages of their role. A login form carries a double-submit CSRF token (a
 * cookie and a field) since no session exists yet; failed logins count against the source like failed API calls.
 */
@Path("/console")
@Produces(MediaType.TEXT_HTML)
public class ConsoleLoginResource {
    static final java.util.List<String> OIDC_SESSION_COOKIES = java.util.List.of("q_session_console",
            "q_session_console_chunk_1", "q_session_console_chunk_2", "q_session_console_chunk_3",
            "q_session_console_chunk_4");
    @Inject
    ConsolePages pages;
    @Inject
    ConsoleSessions sessions;
    @Inject
    ApiKeyService keys;
    @Inject
    AuthFailureLimiter failures;
    @Inject
    @Location("console/login.html")
    Template login;

    /** The start page: admins to the overview, tenant users to their tenant's page. */
    @GET
    @Authenticated
    public Response start() {
        ConsolePages.User user = pages.user();
        if (user.platformAdmin()) {
            return ConsolePages.redirect("/console/admin");
        }
        if (user.tenantUser() && user.tenantId() != null) {
            return ConsolePages.redirect("/console/tenant");
        }
        return pages.forbidden();
    }

    @GET
    @Path("login")
    @PermitAll
    public Response loginForm(HttpServerRequest request) {
        return loginPage(request, 200, null);
    }

    @POST
    @Path("login")
    @PermitAll
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response login(@FormParam("api_key") String apiKey, @FormParam(ConsolePages.CSRF_FIELD) String csrf,
            @CookieParam(ConsoleSessions.LOGIN_CSRF_COOKIE) String csrfCookie, HttpServerRequest request) {
        if (!ConsoleSessions.csrfMatches(csrfCookie, csrf)) {
            return pages.errorPage(403, "Form expired",
                    "The login form has expired or did not come from the console. Reload it and try again.");
        }
        String source = request.remoteAddress() == null ? null : request.remoteAddress().hostAddress();
        long retryAfter = failures.retryAfterSeconds(source);
        if (retryAfter > 0) {
            return Response.fromResponse(loginPage(request, 429, "Too many failed attempts from your address; retry after "
                    + retryAfter + " s.")).header("Retry-After", String.valueOf(retryAfter)).build();
        }
        String secret = apiKey == null ? "" : apiKey.trim();
        if (secret.isEmpty()) {
            return loginPage(request, 400, "Enter an API key (it starts with sk-).");
        }
        Optional<ApiKeyService.KeyPrincipal> principal = keys.authenticate(secret);
        if (principal.isEmpty()) {
            failures.recordFailure(source);
            return loginPage(request, 401, "That API key is not valid (or it was revoked).");
        }
        ConsoleSession session = sessions.openForKey(secret);
        return Response.seeOther(java.net.URI.create("/console"))
                .header("Set-Cookie", ConsoleSessions.cookie(ConsoleSessions.COOKIE, session.id(), secure(request), -1))
                .header("Set-Cookie", ConsoleSessions.cookie(ConsoleSessions.LOGIN_CSRF_COOKIE, "", secure(request), 0))
                .build();
    }

    @POST
    @Path("logout")
    @Authenticated
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response logout(@FormParam(ConsolePages.CSRF_FIELD) String csrf, HttpServerRequest request) {
        pages.requireCsrf(csrf);
        ConsoleSession session = pages.session();
        if (session != null) {
            sessions.close(session.id());
        }
        Response.ResponseBuilder out = Response.seeOther(java.net.URI.create("/console/login"))
                .header("Set-Cookie", ConsoleSessions.cookie(ConsoleSessions.COOKIE, "", secure(request), 0));
        // A single sign-on login also left the OIDC tenant's session cookie (possibly in chunks): drop it too, so
        // the next "log in with single sign-on" asks Keycloak again.
        for (String name : OIDC_SESSION_COOKIES) {
            out.header("Set-Cookie", ConsoleSessions.cookie(name, "", secure(request), 0));
        }
        return out.build();
    }

    private Response loginPage(HttpServerRequest request, int status, String message) {
        String token = ConsoleSessions.randomToken();
        return Response.status(status).type("text/html;charset=UTF-8")
                .header("Set-Cookie", ConsoleSessions.cookie(ConsoleSessions.LOGIN_CSRF_COOKIE, token, secure(request), 3600))
                .entity(login.data("csrf", token).data("csrfField", ConsolePages.CSRF_FIELD).data("error", message)
                        .data("oidc", ConsoleOidcResource.enabled()).data("user", null).data("nav", "").render())
                .build();
    }

    /** Cookies are Secure when the browser talks TLS to us (directly, or to a proxy that says so when trusted). */
    static boolean secure(HttpServerRequest request) {
        return "https".equalsIgnoreCase(request.scheme());
    }

    @ServerExceptionMapper
    public Response unauthorized(UnauthorizedException e) {
        return ConsolePages.toLogin();
    }

    @ServerExceptionMapper
    public Response forbidden(ForbiddenException e) {
        return pages.forbidden();
    }

    @ServerExceptionMapper
    public Response csrf(ConsolePages.CsrfRejectedException e) {
        return pages.errorPage(403, "Form expired", e.getMessage());
    }
}
