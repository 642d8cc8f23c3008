package io.maas.billing.budget;

import java.util.List;

import io.maas.billing.BillingException;

/**
 * A tenant's monthly budget in micros, the percentages of it at which an alert is recorded, and whether
 * reaching it refuses further requests (hard limit).
 */
public record Budget(String tenantId, long monthlyBudgetMicros, List<Integer> alertThresholdsPct, boolean hardLimit) {
    /** Bound on thresholds per budget. */
    public static final int MAX_THRESHOLDS = 10;

    public Budget {
        if (tenantId == null || tenantId.isBlank()) {
            throw new BillingException(BillingException.Kind.INVALID, "a budget needs a tenant", "tenant_id");
        }
        if (monthlyBudgetMicros <= 0) {
            throw new BillingException(BillingException.Kind.INVALID, "monthly_budget_micros must be > 0",
                    "monthly_budget_micros");
        }
        alertThresholdsPct = List.copyOf(alertThresholdsPct == null ? List.of() : alertThresholdsPct);
        if (alertThresholdsPct.size() > MAX_THRESHOLDS
                || alertThresholdsPct.stream().anyMatch(p -> p == null || p < 1 || p > 1000)) {
            throw new BillingException(BillingException.Kind.INVALID,
                    "alert_thresholds_pct holds at most " + MAX_THRESHOLDS + " percentages within 1..1000",
                    "alert_thresholds_pct");
        }
    }

    /** Whether {@code monthToDateMicros} reached {@code pct} percent of the budget (exact, no rounding). */
    public boolean reached(long monthToDateMicros, int pct) {
        return Math.multiplyExact(monthToDateMicros, 100L) >= Math.multiplyExact(monthlyBudgetMicros, (long) pct);
    }
}
