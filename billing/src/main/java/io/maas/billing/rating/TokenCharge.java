package io.maas.billing.rating;

import java.math.BigDecimal;

/**
 * Tokens at one rate, before rounding: what a charge model or a reservation produces. The rater turns each
 * into exactly one charge line and rounds it there, once.
 *
 * @param tierIndex the price tier the rate came from (0-based); 0 for untiered prices and reservations
 */
public record TokenCharge(ChargeKind kind, int tierIndex, long tokens, BigDecimal rateMicrosPerToken) {
    public TokenCharge {
        Check.notNull(kind, "kind");
        Check.that(tierIndex >= 0, () -> "tierIndex must be >= 0, was " + tierIndex);
        // Zero-token lines carry no information and would only be noise on an invoice.
        Check.that(tokens > 0, () -> "a token charge has at least one token, was " + tokens);
        Check.notNegative(rateMicrosPerToken, "rateMicrosPerToken");
    }
}
