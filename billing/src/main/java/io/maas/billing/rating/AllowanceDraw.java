package io.maas.billing.rating;

/**
 * Tokens one rated request takes from a reservation's allowance of a period: what the caller adds to that
 * reservation's used allowance when it records the rating. Present whenever a request was rated against a
 * reservation, with zero tokens when the allowance was already spent, so the result says which reservation
 * rated it.
 */
public record AllowanceDraw(String reservationId, BillingPeriod period, long tokens) {
    public AllowanceDraw {
        Check.notBlank(reservationId, "reservationId");
        Check.notNull(period, "period");
        Check.notNegative(tokens, "tokens");
    }
}
