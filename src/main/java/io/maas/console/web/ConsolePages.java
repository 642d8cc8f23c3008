package io.maas.console.web;

import java.net.URI;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.core.Response;

import io.maas.billing.BillingException;
import io.maas.billing.rating.RatingException;
import io.maas.console.session.ConsoleSession;
import io.maas.console.session.ConsoleSessionAuthMechanism;
import io.maas.console.session.ConsoleSessions;
import io.maas.gateway.api.OpenAiException;
import io.maas.gateway.auth.ApiKeyIdentityProvider;
import io.maas.gateway.auth.Roles;
import io.quarkus.qute.Location;
import io.quarkus.qute.Template;
import io.quarkus.qute.TemplateInstance;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.vertx.http.runtime.CurrentVertxRequest;

/**
 * What every console page shares: who is logged in, the session's CSRF token, the navigation, the error page,
 * and the CSRF check for state-changing requests. Resources stay thin and call this.
 */
@ApplicationScoped
public class ConsolePages {
    /** The form field every state-changing console request must carry (when authenticated by the session cookie). */
    public static final String CSRF_FIELD = "_csrf";

    @Inject
    SecurityIdentity identity;
    @Inject
    CurrentVertxRequest request;
    @Inject
    @Location("console/error.html")
    Template error;

    /** The logged-in user as pages show it. */
    public record User(String principal, String tenantId, List<String> roles, boolean platformAdmin,
            boolean tenantAdmin, boolean tenantUser) {
    }

    public User user() {
        if (identity == null || identity.isAnonymous()) {
            return null;
        }
        Set<String> roles = new TreeSet<>(identity.getRoles());
        String tenant = identity.getAttribute(ApiKeyIdentityProvider.ATTR_TENANT_ID);
        return new User(identity.getPrincipal().getName(), tenant, List.copyOf(roles),
                roles.contains(Roles.PLATFORM_ADMIN), roles.contains(Roles.TENANT_ADMIN),
                roles.contains(Roles.TENANT_ADMIN) || roles.contains(Roles.TENANT_MEMBER));
    }

    /** The session of this request, when it was authenticated by the console cookie (not by a bearer header). */
    public ConsoleSession session() {
        return request.getCurrent() == null ? null : request.getCurrent().get(ConsoleSessionAuthMechanism.SESSION_KEY);
    }

    /** A page with the shared data filled in; {@code nav} names the active navigation item. */
    public TemplateInstance page(Template template, String nav) {
        ConsoleSession session = session();
        return template.data("user", user()).data("nav", nav).data("csrf", session == null ? "" : session.csrfToken())
                .data("csrfField", CSRF_FIELD);
    }

    /**
     * Refuses a state-changing request authenticated by the session cookie unless it carries the session's CSRF
     * token. Requests authenticated by an Authorization header carry no ambient credential and need none.
     */
    public void requireCsrf(String presented) {
        ConsoleSession session = session();
        if (session != null && !ConsoleSessions.csrfMatches(session.csrfToken(), presented)) {
            throw new CsrfRejectedException();
        }
    }

    /** Thrown when a state-changing request lacks a valid CSRF token: a 403 page. */
    public static class CsrfRejectedException extends RuntimeException {
        public CsrfRejectedException() {
            super("This form has expired or did not come from the console (missing or invalid CSRF token). "
                    + "Reload the page and try again.");
        }
    }

    public Response errorPage(int status, String title, String message) {
        return Response.status(status).type("text/html;charset=UTF-8")
                .entity(page(error, "").data("status", status).data("title", title).data("message", message).render())
                .build();
    }

    public Response forbidden() {
        return errorPage(403, "Not allowed", "Your account does not have access to this page.");
    }

    public static Response redirect(String path) {
        return Response.seeOther(URI.create(path)).build();
    }

    public static Response toLogin() {
        return redirect("/console/login");
    }

    /** The message of a refusal by a service (validation, not found, conflict), for showing in a form. */
    public static String messageOf(RuntimeException e) {
        if (e instanceof OpenAiException || e instanceof BillingException || e instanceof RatingException
                || e instanceof IllegalArgumentException) {
            return e.getMessage();
        }
        return null;
    }
}
