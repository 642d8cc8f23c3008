package io.maas.billing.invoice;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

import io.maas.billing.rating.BillingPeriod;

/**
 * A tenant's invoice for one period: a live draft computed from the ledger, or the stored, immutable finalized
 * invoice. {@code totalMinor} is the sum of the rounded lines, {@code totalMicros} the sum of the exact ones.
 */
public record Invoice(UUID id, String tenantId, BillingPeriod period, String currency, String status, String number,
        List<InvoiceLine> lines, long totalMicros, long totalMinor, Instant finalizedAt) {
    public static final String DRAFT = "draft";
    public static final String FINALIZED = "finalized";

    public Invoice {
        lines = List.copyOf(lines);
        long micros = 0;
        long minor = 0;
        for (InvoiceLine line : lines) {
            micros = Math.addExact(micros, line.amountMicros());
            minor = Math.addExact(minor, line.amountMinor());
        }
        if (micros != totalMicros || minor != totalMinor) {
            throw new IllegalStateException("invoice " + id + " lines do not add up to its totals");
        }
    }
}
