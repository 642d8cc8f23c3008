package io.maas.console.web;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.FormParam;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.Response;

import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import io.maas.admin.api.BillingApiMapper;
import io.maas.billing.BillingException;
import io.maas.billing.invoice.Invoice;
import io.maas.billing.invoice.InvoiceService;
import io.maas.billing.invoice.ProviderStatements;
import io.maas.billing.pricebook.PriceBookService;
import io.maas.billing.rating.BillingPeriod;
import io.maas.billing.rating.ChargeModelType;
import io.maas.billing.reporting.UsageReports;
import io.maas.billing.reservation.ReservationService;
import io.maas.gateway.auth.Caller;
import io.maas.gateway.auth.Roles;
import io.maas.gateway.auth.TenantEntity;
import io.maas.gateway.auth.TenantService;
import io.maas.gateway.inference.AdapterRegistry;
import io.quarkus.qute.Location;
import io.quarkus.qute.Template;
import io.quarkus.qute.TemplateInstance;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;
import io.quarkus.security.identity.SecurityIdentity;

/**
 * The platform admins' pages: overview, tenants, price book, reservations, invoices, providers, adapters.
 * Thin: every read and change goes through the billing and identity services the admin API uses.
 */
@Path("/console/admin")
@Produces(MediaType.TEXT_HTML)
@RolesAllowed(Roles.PLATFORM_ADMIN)
public class AdminConsoleResource {
    static final int TENANTS_PAGE_SIZE = 20;
    static final int TOP = 10;

    @Inject
    ConsolePages pages;
    @Inject
    SecurityIdentity identity;
    @Inject
    UsageReports reports;
    @Inject
    TenantService tenants;
    @Inject
    TenantDashboard dashboard;
    @Inject
    PriceBookService prices;
    @Inject
    ReservationService reservations;
    @Inject
    InvoiceService invoices;
    @Inject
    AdapterRegistry adapters;

    @Inject
    @Location("console/admin-overview.html")
    Template overview;
    @Inject
    @Location("console/admin-tenants.html")
    Template tenantList;
    @Inject
    @Location("console/tenant-detail.html")
    Template tenantDetail;
    @Inject
    @Location("console/admin-prices.html")
    Template priceBook;
    @Inject
    @Location("console/admin-reservations.html")
    Template reservationList;
    @Inject
    @Location("console/admin-invoices.html")
    Template invoiceList;
    @Inject
    @Location("console/invoice.html")
    Template invoicePage;
    @Inject
    @Location("console/admin-providers.html")
    Template providers;
    @Inject
    @Location("console/admin-adapters.html")
    Template adapterPage;

    @GET
    public TemplateInstance overview() {
        Instant now = Instant.now();
        Instant dayStart = now.truncatedTo(ChronoUnit.DAYS);
        BillingPeriod month = BillingPeriod.containing(now);
        LocalDate first = month.month().atDay(1);
        LocalDate end = month.month().plusMonths(1).atDay(1);
        var top = reports.topTenants(month.start(), month.end(), TOP);
        var models = reports.models(month.start(), month.end(), null, false, TOP);
        var adapterRows = reports.models(month.start(), month.end(), null, true, TOP);
        Map<String, Long> tenantCharges = new LinkedHashMap<>();
        top.forEach(r -> tenantCharges.put(r.key(), r.chargedMicros()));
        Map<String, Long> modelTokens = new LinkedHashMap<>();
        models.forEach(r -> modelTokens.put(r.key(), r.tokens()));
        return pages.page(overview, "overview")
                .data("today", reports.totals(dayStart, dayStart.plus(1, ChronoUnit.DAYS)))
                .data("month", reports.totals(month.start(), month.end()))
                .data("period", month.toString())
                .data("topTenants", top)
                .data("models", models)
                .data("adapters", adapterRows)
                .data("dailyChart", Charts.json(Charts.dailyTokens(reports.daily(null, first, end), first, end)))
                .data("tenantChart", Charts.json(Charts.moneyBars("charged this month", tenantCharges)))
                .data("modelChart", Charts.json(Charts.countBars("tokens this month", modelTokens, "tokens")));
    }

    @GET
    @Path("tenants")
    public TemplateInstance tenants(@QueryParam("q") String query, @QueryParam("page") @DefaultValue("1") int page) {
        int p = Math.max(1, page);
        var found = tenants.search(caller(), query, p - 1, TENANTS_PAGE_SIZE);
        long pagesTotal = Math.max(1, (found.total() + TENANTS_PAGE_SIZE - 1) / TENANTS_PAGE_SIZE);
        return pages.page(tenantList, "tenants").data("tenants", found.tenants()).data("total", found.total())
                .data("q", query == null ? "" : query).data("page", p).data("pages", pagesTotal)
                .data("prev", p > 1 ? p - 1 : 0).data("next", p < pagesTotal ? p + 1 : 0);
    }

    @GET
    @Path("tenants/{id}")
    public TemplateInstance tenant(@PathParam("id") String id) {
        TenantEntity tenant = tenants.get(caller(), id);
        return dashboard.fill(pages.page(tenantDetail, "tenants"), tenant.id, caller())
                .data("tenantName", tenant.name).data("adminView", true);
    }

    // ---- price book

    @GET
    @Path("prices")
    public TemplateInstance prices() {
        return pricePage(Map.of(), Map.of(), null);
    }

    @POST
    @Path("prices")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response createPrice(MultivaluedMap<String, String> form) {
        pages.requireCsrf(form.getFirst(ConsolePages.CSRF_FIELD));
        Map<String, String> values = flat(form);
        FormInput in = new FormInput(values);
        String base = in.required("base_model", "Base model");
        String adapter = in.text("adapter");
        Instant from = in.utcTime("effective_from", "Effective from", false);
        String chargeModel = in.required("charge_model", "Charge model");
        BigDecimal input = in.decimal("input_rate", "Input price", true);
        BigDecimal output = in.decimal("output_rate", "Output price", true);
        Long upTo = in.wholeNumber("up_to_tokens", "First tier size", false);
        BigDecimal input2 = in.decimal("input_rate_2", "Second tier input price", upTo != null);
        BigDecimal output2 = in.decimal("output_rate_2", "Second tier output price", upTo != null);
        if (!in.ok()) {
            return Response.status(400).entity(pricePage(values, in.errors, null).render()).build();
        }
        List<BillingApiMapper.TierDto> tiers = new ArrayList<>();
        // Prices are entered in $ per 1M tokens, which is the same number as µ$ per token.
        if (upTo != null) {
            tiers.add(new BillingApiMapper.TierDto(upTo, input, output));
            tiers.add(new BillingApiMapper.TierDto(null, input2, output2));
        } else {
            tiers.add(new BillingApiMapper.TierDto(null, input, output));
        }
        Instant effective = from == null ? Instant.now().truncatedTo(ChronoUnit.SECONDS) : from;
        try {
            var created = prices.create(BillingApiMapper.toEntry(new BillingApiMapper.PriceRequest(base, adapter,
                    effective, chargeModel, tiers)), Instant.now());
            return ConsolePages.redirect("/console/admin/prices?created=" + created.price().id());
        } catch (RuntimeException e) {
            String message = ConsolePages.messageOf(e);
            if (message == null) {
                throw e;
            }
            return Response.status(400).entity(pricePage(values, Map.of(), message).render()).build();
        }
    }

    private TemplateInstance pricePage(Map<String, String> values, Map<String, String> errors, String error) {
        List<String> chargeModels = new ArrayList<>();
        for (ChargeModelType t : ChargeModelType.values()) {
            chargeModels.add(t.wireName());
        }
        return pages.page(priceBook, "prices").data("prices", prices.list()).data("form", values).data("errors", errors)
                .data("error", error).data("chargeModels", chargeModels);
    }

    // ---- reservations

    @GET
    @Path("reservations")
    public TemplateInstance reservations(@QueryParam("tenant") String tenant) {
        return reservationPage(tenant, Map.of(), Map.of(), null);
    }

    @POST
    @Path("reservations")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response createReservation(MultivaluedMap<String, String> form) {
        pages.requireCsrf(form.getFirst(ConsolePages.CSRF_FIELD));
        Map<String, String> values = flat(form);
        FormInput in = new FormInput(values);
        String id = in.text("id");
        String tenant = in.required("tenant_id", "Tenant");
        String scopeKind = in.required("scope", "Scope");
        String scopeModel = in.text("scope_model");
        String scopeAdapters = in.text("scope_adapters");
        if ("base_model".equals(scopeKind) && scopeModel == null) {
            in.errors.put("scope_model", "Name the base model the reservation covers.");
        }
        if ("adapters".equals(scopeKind) && scopeAdapters == null) {
            in.errors.put("scope_adapters", "List the adapters (base:adapter, comma-separated).");
        }
        Long fee = in.money("fee_monthly", "Monthly fee", true);
        Long allowance = in.wholeNumber("allowance_tokens", "Monthly allowance", true);
        BigDecimal overage = in.decimal("overage_rate", "Overage price", true);
        Instant starts = in.utcTime("starts_at", "Start", false);
        Instant ends = in.utcTime("ends_at", "End", false);
        if (!in.ok()) {
            return Response.status(400).entity(reservationPage(null, values, in.errors, null).render()).build();
        }
        try {
            if (tenant != null) {
                tenants.get(caller(), tenant);
            }
            List<String> adapterList = scopeAdapters == null ? null
                    : List.of(scopeAdapters.split("\\s*,\\s*"));
            var request = new BillingApiMapper.ReservationRequest(
                    id == null ? "res-" + java.util.UUID.randomUUID().toString().substring(0, 8) : id, tenant,
                    new BillingApiMapper.ScopeDto(scopeKind, scopeModel, adapterList), fee, allowance, overage,
                    starts == null ? Instant.now().truncatedTo(ChronoUnit.SECONDS) : starts, ends);
            reservations.create(BillingApiMapper.toReservation(request), Instant.now());
            return ConsolePages.redirect("/console/admin/reservations?created=" + request.id());
        } catch (RuntimeException e) {
            String message = ConsolePages.messageOf(e);
            if (message == null) {
                throw e;
            }
            return Response.status(400).entity(reservationPage(null, values, Map.of(), message).render()).build();
        }
    }

    @POST
    @Path("reservations/{id}/cancel")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response cancelReservation(@PathParam("id") String id, @FormParam(ConsolePages.CSRF_FIELD) String csrf) {
        pages.requireCsrf(csrf);
        Instant now = Instant.now();
        try {
            reservations.cancel(id, now.truncatedTo(ChronoUnit.SECONDS).plusSeconds(1), now);
        } catch (BillingException e) {
            if (e.kind() == BillingException.Kind.NOT_FOUND) {
                return pages.errorPage(404, "Not found", e.getMessage());
            }
            return Response.status(409).entity(reservationPage(null, Map.of(), Map.of(), e.getMessage()).render()).build();
        }
        return ConsolePages.redirect("/console/admin/reservations?cancelled=" + id);
    }

    private TemplateInstance reservationPage(String tenant, Map<String, String> values, Map<String, String> errors,
            String error) {
        String t = tenant == null || tenant.isBlank() ? null : tenant;
        List<TenantDashboard.ReservationView> views = new ArrayList<>();
        Map<String, String> tenantOf = new HashMap<>();
        for (var b : reservations.list(t, Instant.now())) {
            tenantOf.put(b.reservation().id(), b.reservation().tenantId());
        }
        // One list per tenant keeps each burn-down computed by the same code as the tenant page.
        for (String tenantId : new java.util.TreeSet<>(tenantOf.values())) {
            views.addAll(dashboard.reservationViews(tenantId, Instant.now()));
        }
        return pages.page(reservationList, "reservations").data("reservations", views)
                .data("form", values).data("errors", errors).data("error", error)
                .data("tenantIds", tenants.list(caller()).stream().map(x -> x.id).toList());
    }

    // ---- invoices

    @GET
    @Path("invoices")
    public Response invoices(@QueryParam("period") String period, @QueryParam("status") String status,
            @QueryParam("tenant") String tenant) {
        BillingPeriod p = null;
        String error = null;
        if (period != null && !period.isBlank()) {
            try {
                p = BillingPeriod.of(YearMonth.parse(period.trim()));
            } catch (DateTimeParseException e) {
                error = "Period must be a month as YYYY-MM, was '" + period + "'.";
            }
        }
        String s = status == null || status.isBlank() ? null : status;
        if (s != null && !s.equals(Invoice.DRAFT) && !s.equals(Invoice.FINALIZED)) {
            error = "Status must be draft or finalized.";
            s = null;
        }
        String t = tenant == null || tenant.isBlank() ? null : tenant.trim();
        var list = error == null ? invoices.list(t, p, s, InvoiceService.MAX_LIMIT) : List.<io.maas.billing.invoice.Invoicing.Summary>of();
        BillingPeriod last = BillingPeriod.of(BillingPeriod.containing(Instant.now()).month().minusMonths(1));
        // Drafts are computed: a tenant's period may have no stored row yet, but its draft can still be opened.
        boolean draftOnly = error == null && t != null && p != null && list.isEmpty() && !Invoice.FINALIZED.equals(s);
        return Response.status(error == null ? 200 : 400).entity(pages.page(invoiceList, "invoices")
                .data("draftOnly", draftOnly)
                .data("invoices", list).data("period", period == null ? "" : period).data("status", s == null ? "" : s)
                .data("tenant", t == null ? "" : t).data("error", error).data("lastPeriod", last.toString())
                .data("currentPeriod", BillingPeriod.containing(Instant.now()).toString()).render()).build();
    }

    @GET
    @Path("invoices/{tenant}/{period}")
    public Response invoice(@PathParam("tenant") String tenant, @PathParam("period") String period) {
        BillingPeriod p = period(period);
        if (p == null) {
            return pages.errorPage(404, "Not found", "No invoice period '" + period + "'.");
        }
        tenants.get(caller(), tenant);
        return Response.ok(invoicePage(invoices.view(tenant, p), null, 200).render()).build();
    }

    @POST
    @Path("invoices/{tenant}/{period}/finalize")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response finalizeInvoice(@PathParam("tenant") String tenant, @PathParam("period") String period,
            @FormParam(ConsolePages.CSRF_FIELD) String csrf) {
        pages.requireCsrf(csrf);
        BillingPeriod p = period(period);
        if (p == null) {
            return pages.errorPage(404, "Not found", "No invoice period '" + period + "'.");
        }
        tenants.get(caller(), tenant);
        try {
            invoices.finalizeInvoice(tenant, p, Instant.now());
        } catch (BillingException e) {
            return Response.status(409).entity(invoicePage(invoices.view(tenant, p), e.getMessage(), 409).render()).build();
        }
        return ConsolePages.redirect("/console/admin/invoices/" + tenant + "/" + p);
    }

    @GET
    @Path("invoices/{tenant}/{period}/csv")
    @Produces("text/csv")
    public Response invoiceCsv(@PathParam("tenant") String tenant, @PathParam("period") String period) {
        BillingPeriod p = period(period);
        if (p == null) {
            return pages.errorPage(404, "Not found", "No invoice period '" + period + "'.");
        }
        tenants.get(caller(), tenant);
        return download(InvoiceService.csv(invoices.view(tenant, p)), "text/csv;charset=UTF-8",
                "invoice-" + tenant + "-" + p + ".csv");
    }

    @GET
    @Path("invoices/{tenant}/{period}/json")
    @Produces(MediaType.APPLICATION_JSON)
    public Response invoiceJson(@PathParam("tenant") String tenant, @PathParam("period") String period) {
        BillingPeriod p = period(period);
        if (p == null) {
            return pages.errorPage(404, "Not found", "No invoice period '" + period + "'.");
        }
        tenants.get(caller(), tenant);
        return download(BillingApiMapper.toDto(invoices.view(tenant, p)), MediaType.APPLICATION_JSON,
                "invoice-" + tenant + "-" + p + ".json");
    }

    private TemplateInstance invoicePage(Invoice invoice, String error, int status) {
        boolean finalizable = Invoice.DRAFT.equals(invoice.status()) && !Instant.now().isBefore(invoice.period().end());
        return pages.page(invoicePage, "invoices").data("invoice", invoice).data("error", error)
                .data("finalizable", finalizable).data("base", "/console/admin/invoices/" + invoice.tenantId() + "/"
                        + invoice.period()).data("adminView", true);
    }

    // ---- providers and adapters

    @GET
    @Path("providers")
    public TemplateInstance providers(@QueryParam("period") String period) {
        BillingPeriod p = period(period);
        if (p == null) {
            p = BillingPeriod.containing(Instant.now());
        }
        List<ProviderStatements.Line> lines = invoices.providerStatement(null, p).lines();
        Map<String, Long> earned = new TreeMap<>();
        Map<String, Long> byAdapter = new LinkedHashMap<>();
        for (ProviderStatements.Line l : lines) {
            earned.merge(l.providerId(), l.earnedMicros(), Long::sum);
            byAdapter.merge(l.baseModel() + ":" + l.adapter(), l.earnedMicros(), Long::sum);
        }
        return pages.page(providers, "providers").data("lines", lines).data("earned", earned)
                .data("period", p.toString())
                .data("previous", BillingPeriod.of(p.month().minusMonths(1)).toString())
                .data("next", BillingPeriod.of(p.month().plusMonths(1)).toString())
                .data("chart", Charts.json(Charts.moneyBars("provider earnings", byAdapter)));
    }

    @GET
    @Path("adapters")
    public TemplateInstance adapters(@QueryParam("period") String period) {
        BillingPeriod p = period(period);
        if (p == null) {
            p = BillingPeriod.containing(Instant.now());
        }
        var rows = reports.models(p.start(), p.end(), null, true, UsageReports.MAX_ROWS);
        Map<String, UsageReports.Ranked> used = new LinkedHashMap<>();
        rows.forEach(r -> used.put(r.adapter(), r));
        // Installed adapters without usage in the period are listed too: zero reuse is a figure as well.
        List<Map<String, Object>> table = new ArrayList<>();
        Map<String, Long> tenantsPerAdapter = new LinkedHashMap<>();
        for (var r : rows) {
            tenantsPerAdapter.put(r.key(), r.tenants());
        }
        for (AdapterRegistry.AdapterEntry a : adapters.all()) {
            UsageReports.Ranked r = used.remove(a.id());
            table.add(row(a.id(), a.baseModel(), a.provider(), r));
            if (r == null) {
                tenantsPerAdapter.put(a.baseModel() + ":" + a.id(), 0L);
            }
        }
        for (UsageReports.Ranked r : used.values()) {
            table.add(row(r.adapter(), r.baseModel(), null, r));
        }
        return pages.page(adapterPage, "adapters").data("adapters", table).data("period", p.toString())
                .data("previous", BillingPeriod.of(p.month().minusMonths(1)).toString())
                .data("next", BillingPeriod.of(p.month().plusMonths(1)).toString())
                .data("chart", Charts.json(Charts.countBars("distinct tenants", tenantsPerAdapter, "tenants")));
    }

    private static Map<String, Object> row(String id, String base, String provider, UsageReports.Ranked r) {
        Map<String, Object> m = new HashMap<>();
        m.put("id", id);
        m.put("base", base);
        m.put("provider", provider == null ? "" : provider);
        m.put("requests", r == null ? 0L : r.requests());
        m.put("tokens", r == null ? 0L : r.tokens());
        m.put("tenants", r == null ? 0L : r.tenants());
        m.put("charged", r == null ? 0L : r.chargedMicros());
        return m;
    }

    // ---- shared

    private Caller caller() {
        return Caller.of(identity);
    }

    static BillingPeriod period(String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return BillingPeriod.of(YearMonth.parse(value.trim()));
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    static Response download(Object body, String type, String filename) {
        return Response.ok(body).type(type).header("Content-Disposition", "attachment; filename=\"" + filename + "\"")
                .build();
    }

    static Map<String, String> flat(MultivaluedMap<String, String> form) {
        Map<String, String> out = new HashMap<>();
        form.forEach((k, v) -> {
            if (!ConsolePages.CSRF_FIELD.equals(k) && v != null && !v.isEmpty()) {
                out.put(k, v.get(0));
            }
        });
        return out;
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
    public Response notFound(io.maas.gateway.api.OpenAiException e) {
        return pages.errorPage(e.status(), e.status() == 404 ? "Not found" : "Refused", e.getMessage());
    }
}
