package io.maas.console.web;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.maas.billing.budget.BudgetRepository;
import io.maas.billing.budget.BudgetService;
import io.maas.billing.invoice.Invoice;
import io.maas.billing.invoice.InvoiceService;
import io.maas.billing.invoice.Invoicing;
import io.maas.billing.rating.BillingPeriod;
import io.maas.billing.rating.ModelRef;
import io.maas.billing.rating.Reservation;
import io.maas.billing.rating.ReservationScope;
import io.maas.billing.reporting.UsageReports;
import io.maas.billing.reservation.ReservationService;
import io.maas.gateway.auth.Caller;
import io.maas.gateway.auth.KeyManagementService;
import io.quarkus.qute.TemplateInstance;

/**
 * The data of one tenant's page, shared by the admin's tenant detail and the tenant's own page: reservations
 * with their burn-down, usage over the last 30 days by model and adapter, the current draft invoice, past
 * invoices, budget alerts and the API key count. All read live from the billing services on each request.
 */
@ApplicationScoped
public class TenantDashboard {
    static final int USAGE_DAYS = 30;

    @Inject
    ReservationService reservations;
    @Inject
    InvoiceService invoices;
    @Inject
    BudgetService budgets;
    @Inject
    UsageReports reports;
    @Inject
    KeyManagementService keys;

    /** A reservation as its card shows it, with its burn-down chart. */
    public record ReservationView(String id, String tenantId, String scope, long feeMonthlyMicros, long allowanceMonthlyTokens,
            String overage, Instant startsAt, Instant endsAt, String period, long feeMicros, long allowanceTokens,
            long usedTokens, long remainingTokens, boolean active, String chartJson) {
    }

    public TemplateInstance fill(TemplateInstance page, String tenantId, Caller caller) {
        Instant now = Instant.now();
        BillingPeriod current = BillingPeriod.containing(now);
        LocalDate today = LocalDate.ofInstant(now, ZoneOffset.UTC);
        List<ReservationView> views = reservationViews(tenantId, now);
        LocalDate from = today.minusDays(USAGE_DAYS - 1L);
        var daily = reports.daily(tenantId, from, today.plusDays(1));
        Invoice draft = invoices.view(tenantId, current);
        List<Invoicing.Summary> past = new ArrayList<>(invoices.list(tenantId, null, null, 120));
        past.removeIf(s -> s.period().equals(current));
        past.sort((a, b) -> b.period().month().compareTo(a.period().month()));
        List<BudgetRepository.Alert> alerts = budgets.alerts(tenantId, 20);
        var tenantKeys = keys.list(caller, tenantId);
        long activeKeys = tenantKeys.stream().filter(k -> k.revokedAt == null).count();
        long allKeys = tenantKeys.size();
        var models = reports.models(current.start(), current.end(), tenantId, false, 50);
        long monthTokens = models.stream().mapToLong(UsageReports.Ranked::tokens).sum();
        long monthRequests = models.stream().mapToLong(UsageReports.Ranked::requests).sum();
        return page.data("tenantId", tenantId)
                .data("reservations", views)
                .data("usageChart", Charts.json(Charts.dailyTokens(daily, from, today.plusDays(1))))
                .data("usageDays", USAGE_DAYS)
                .data("models", models)
                .data("monthTokens", monthTokens)
                .data("monthRequests", monthRequests)
                .data("draft", draft)
                .data("pastInvoices", past)
                .data("alerts", alerts)
                .data("activeKeys", activeKeys)
                .data("allKeys", allKeys)
                .data("period", current.toString());
    }

    List<ReservationView> reservationViews(String tenantId, Instant now) {
        LocalDate today = LocalDate.ofInstant(now, ZoneOffset.UTC);
        List<ReservationView> out = new ArrayList<>();
        for (ReservationService.BurnDown b : reservations.list(tenantId, now)) {
            Reservation r = b.reservation();
            BillingPeriod p = b.period();
            LocalDate first = LocalDate.ofInstant(later(p.start(), r.startsAt()), ZoneOffset.UTC);
            LocalDate end = LocalDate.ofInstant(r.endsAt() != null && r.endsAt().isBefore(p.end()) ? r.endsAt() : p.end(),
                    ZoneOffset.UTC);
            if (r.endsAt() != null && !r.endsAt().equals(end.atStartOfDay(ZoneOffset.UTC).toInstant())) {
                end = end.plusDays(1);
            }
            String chart = b.allowanceTokens() > 0 && first.isBefore(end)
                    ? Charts.json(Charts.burnDown(b.allowanceTokens(), reports.allowanceDraws(r.id(), p), first, end, today))
                    : null;
            out.add(new ReservationView(r.id(), r.tenantId(), scopeText(r.scope()), r.feeMonthlyMicros(), r.allowanceMonthlyTokens(),
                    ConsoleFormat.perMillion(r.overageMicrosPerToken()),
                    r.startsAt(), r.endsAt(), p.toString(), b.feeMicros(), b.allowanceTokens(), b.allowanceUsedTokens(),
                    b.allowanceRemainingTokens(), r.isActiveAt(now), chart));
        }
        return out;
    }

    private static Instant later(Instant a, Instant b) {
        return a.isAfter(b) ? a : b;
    }

    static String scopeText(ReservationScope scope) {
        if (scope instanceof ReservationScope.BaseModel b) {
            return "model " + b.baseModel();
        }
        if (scope instanceof ReservationScope.Adapters a) {
            return "adapters " + String.join(", ", a.adapters().stream().map(ModelRef::toString).sorted().toList());
        }
        return "all models";
    }
}
