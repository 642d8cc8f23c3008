package io.maas.console.web;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.FormParam;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.Response;

import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import io.maas.billing.invoice.Invoice;
import io.maas.billing.invoice.InvoiceService;
import io.maas.billing.rating.BillingPeriod;
import io.maas.gateway.api.OpenAiException;
import io.maas.gateway.auth.ApiKeyService;
import io.maas.gateway.auth.Caller;
import io.maas.gateway.auth.KeyManagementService;
import io.maas.gateway.auth.Roles;
import io.quarkus.qute.Location;
import io.quarkus.qute.Template;
import io.quarkus.qute.TemplateInstance;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;
import io.quarkus.security.identity.SecurityIdentity;

/**
 * A tenant's own pages (tenant admins and members): usage, reservations, the draft and past invoices, and API
 * keys, which tenant admins create (the secret shown once) and revoke. The tenant is always the caller's own,
 * taken from the login, never from the URL.
 */
@Path("/console/tenant")
@Produces(MediaType.TEXT_HTML)
@RolesAllowed({ Roles.TENANT_ADMIN, Roles.TENANT_MEMBER })
public class TenantConsoleResource {
    @Inject
    ConsolePages pages;
    @Inject
    SecurityIdentity identity;
    @Inject
    TenantDashboard dashboard;
    @Inject
    InvoiceService invoices;
    @Inject
    KeyManagementService keys;

    @Inject
    @Location("console/tenant-detail.html")
    Template home;
    @Inject
    @Location("console/invoice.html")
    Template invoicePage;
    @Inject
    @Location("console/tenant-keys.html")
    Template keyPage;

    @GET
    public TemplateInstance home() {
        Caller caller = Caller.of(identity);
        return dashboard.fill(pages.page(home, "tenant"), caller.tenantId(), caller).data("tenantName", caller.tenantId())
                .data("adminView", false);
    }

    @GET
    @Path("invoices/{period}")
    public Response invoice(@PathParam("period") String period) {
        BillingPeriod p = AdminConsoleResource.period(period);
        if (p == null) {
            return pages.errorPage(404, "Not found", "No invoice period '" + period + "'.");
        }
        Invoice invoice = invoices.view(Caller.of(identity).tenantId(), p);
        return Response.ok(pages.page(invoicePage, "tenant").data("invoice", invoice).data("error", null)
                .data("finalizable", false).data("base", "/console/tenant/invoices/" + p).data("adminView", false)
                .render()).build();
    }

    @GET
    @Path("invoices/{period}/csv")
    @Produces("text/csv")
    public Response invoiceCsv(@PathParam("period") String period) {
        BillingPeriod p = AdminConsoleResource.period(period);
        if (p == null) {
            return pages.errorPage(404, "Not found", "No invoice period '" + period + "'.");
        }
        String tenant = Caller.of(identity).tenantId();
        return AdminConsoleResource.download(InvoiceService.csv(invoices.view(tenant, p)), "text/csv;charset=UTF-8",
                "invoice-" + tenant + "-" + p + ".csv");
    }

    @GET
    @Path("keys")
    public TemplateInstance keys() {
        return keyPage(Map.of(), Map.of(), null);
    }

    /** Creates a key of the caller's tenant (tenant admins only); the page shows its secret this once. */
    @POST
    @Path("keys")
    @RolesAllowed(Roles.TENANT_ADMIN)
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response createKey(MultivaluedMap<String, String> form) {
        pages.requireCsrf(form.getFirst(ConsolePages.CSRF_FIELD));
        Map<String, String> values = AdminConsoleResource.flat(form);
        FormInput in = new FormInput(values);
        String name = in.required("name", "Name");
        String role = in.required("role", "Role");
        if (!in.ok()) {
            return Response.status(400).entity(keyPage(values, in.errors, null).render()).build();
        }
        String models = in.text("allowed_models");
        List<String> allowed = models == null ? List.of() : List.of(models.split("\\s*,\\s*"));
        try {
            ApiKeyService.CreatedKey created = keys.create(Caller.of(identity), null, name, List.of(role), allowed);
            // Never cached or stored by the browser: the secret exists only in this one response.
            return Response.status(201).header("Cache-Control", "no-store")
                    .entity(keyPage(Map.of(), Map.of(), null).data("created", created.secret())
                            .data("createdName", created.key().name).render())
                    .build();
        } catch (OpenAiException e) {
            return Response.status(e.status() == 404 ? 404 : 400).entity(keyPage(values, Map.of(), e.getMessage()).render())
                    .build();
        }
    }

    @POST
    @Path("keys/{id}/revoke")
    @RolesAllowed(Roles.TENANT_ADMIN)
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response revokeKey(@PathParam("id") String id, @FormParam(ConsolePages.CSRF_FIELD) String csrf) {
        pages.requireCsrf(csrf);
        UUID keyId;
        try {
            keyId = UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            return pages.errorPage(404, "Not found", "No API key '" + id + "'.");
        }
        keys.revoke(Caller.of(identity), keyId);
        return ConsolePages.redirect("/console/tenant/keys?revoked=" + keyId);
    }

    private TemplateInstance keyPage(Map<String, String> values, Map<String, String> errors, String error) {
        Caller caller = Caller.of(identity);
        List<Map<String, Object>> rows = new ArrayList<>();
        for (var k : keys.list(caller, caller.tenantId())) {
            rows.add(Map.of("id", k.id.toString(), "name", k.name, "prefix", k.keyPrefix, "roles", k.roles,
                    "created", ConsoleFormat.time(k.createdAt), "lastUsed", ConsoleFormat.time(k.lastUsedAt),
                    "revoked", k.revokedAt != null, "revokedAt", ConsoleFormat.time(k.revokedAt)));
        }
        return pages.page(keyPage, "keys").data("keys", rows).data("form", values).data("errors", errors)
                .data("error", error).data("created", null).data("createdName", null)
                .data("canManage", identity.hasRole(Roles.TENANT_ADMIN)).data("tenantId", caller.tenantId())
                .data("roleChoices", List.of(Roles.TENANT_MEMBER, Roles.TENANT_ADMIN, Roles.PROVIDER))
                .data("now", Instant.now());
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

    @ServerExceptionMapper
    public Response refused(OpenAiException e) {
        return pages.errorPage(e.status(), e.status() == 404 ? "Not found" : "Refused", e.getMessage());
    }
}
