package io.maas.billing.budget;

import java.time.Instant;
import java.util.List;

import javax.sql.DataSource;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;

import io.maas.billing.Jdbc;
import io.maas.billing.rating.BillingPeriod;

/** Tenant budgets for the admin API and the gateway's hard-limit check. */
@ApplicationScoped
public class BudgetService {
    /** Bound on alerts one call lists. */
    public static final int MAX_LIMIT = 1_000;

    @Inject
    DataSource dataSource;

    /** A budget with the tenant's month-to-date charges in the period of {@code at}. */
    public record Status(Budget budget, BillingPeriod period, long monthToDateMicros) {
    }

    @Transactional
    public Status set(Budget budget, Instant now) {
        return Jdbc.inTransaction(dataSource, c -> {
            BudgetRepository.upsert(c, budget);
            BillingPeriod period = BillingPeriod.containing(now);
            BudgetRepository.raiseAlerts(c, budget.tenantId(), period);
            return new Status(budget, period, BudgetRepository.monthToDateMicros(c, budget.tenantId(), period));
        });
    }

    @Transactional
    public List<Status> list(Instant now) {
        return Jdbc.inTransaction(dataSource, c -> {
            BillingPeriod period = BillingPeriod.containing(now);
            List<Status> out = new java.util.ArrayList<>();
            for (Budget b : BudgetRepository.list(c)) {
                out.add(new Status(b, period, BudgetRepository.monthToDateMicros(c, b.tenantId(), period)));
            }
            return out;
        });
    }

    @Transactional
    public List<BudgetRepository.Alert> alerts(String tenantId, int limit) {
        return Jdbc.inTransaction(dataSource, c -> BudgetRepository.alerts(c, tenantId,
                Math.max(1, Math.min(limit, MAX_LIMIT))));
    }

    /**
     * Whether the tenant may not be served now: its budget hard limit is reached, or its monthly token quota (read
     * from the usage rollups). One read of the database; callers cache it.
     */
    @Transactional
    public boolean isOverQuota(String tenantId, Instant now) {
        BillingPeriod period = BillingPeriod.containing(now);
        return Jdbc.inTransaction(dataSource, c -> BudgetRepository.isOverHardLimit(c, tenantId, period)
                || TokenQuotas.find(c, tenantId, period).map(TokenQuotas.Quota::reached).orElse(false));
    }

    @Transactional
    public TokenQuotas.Quota setTokenQuota(String tenantId, long monthlyTokens, Instant now) {
        return Jdbc.inTransaction(dataSource, c -> {
            TokenQuotas.set(c, tenantId, monthlyTokens);
            return TokenQuotas.find(c, tenantId, BillingPeriod.containing(now)).orElseThrow();
        });
    }

    @Transactional
    public List<TokenQuotas.Quota> tokenQuotas(Instant now) {
        return Jdbc.inTransaction(dataSource, c -> TokenQuotas.list(c, BillingPeriod.containing(now)));
    }

    /** Whether the tenant's hard limit is reached now (reads the database; callers cache it). */
    @Transactional
    public boolean isOverHardLimit(String tenantId, Instant now) {
        return Jdbc.inTransaction(dataSource, c -> BudgetRepository.isOverHardLimit(c, tenantId,
                BillingPeriod.containing(now)));
    }
}
