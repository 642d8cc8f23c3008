package io.maas.billing.payout;

import java.time.Instant;
import java.util.UUID;

import io.maas.billing.rating.BillingPeriod;

/**
 * A payout to a provider for its earnings of a period, in micros.
 *
 * @param id the client's idempotency key: the same id with the same content is the same payout
 * @param transactionId the ledger transaction that moved the money (provider payable → platform cash)
 */
public record Payout(String id, String providerId, BillingPeriod period, long amountMicros, String reference,
        UUID transactionId, Instant createdAt) {
}
