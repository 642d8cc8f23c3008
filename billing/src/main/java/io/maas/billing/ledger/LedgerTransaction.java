package io.maas.billing.ledger;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

import io.maas.billing.rating.BillingPeriod;

/**
 * A balanced set of entries posted together. Its debits equal its credits (checked here, always), so the
 * ledger as a whole, and every period of it, balances.
 *
 * @param period the month the money belongs to
 * @param invoicePeriod the month whose invoice bills it: {@code period}, or a later one for late usage
 */
public record LedgerTransaction(UUID id, String kind, String tenantId, String providerId, UUID usageEventId,
        String reservationId, BillingPeriod period, BillingPeriod invoicePeriod, Instant occurredAt,
        List<LedgerEntry> entries) {

    public static final String USAGE = "usage";
    public static final String RESERVATION_FEE = "reservation_fee";
    public static final String PAYOUT = "payout";

    public LedgerTransaction {
        entries = List.copyOf(entries);
        if (entries.isEmpty()) {
            throw new IllegalArgumentException("transaction " + id + " has no entries");
        }
        long debits = 0;
        long credits = 0;
        for (LedgerEntry e : entries) {
            debits = Math.addExact(debits, e.debitMicros());
            credits = Math.addExact(credits, e.creditMicros());
        }
        // Double entry: a transaction that does not balance is a bug, never written.
        if (debits != credits) {
            throw new IllegalStateException("transaction " + id + " does not balance: debits " + debits
                    + " credits " + credits);
        }
    }
}
