package io.maas.billing.rating;

/**
 * A reservation as of now in one period: how much of that period's allowance rated usage has drawn so far.
 * Rating reads it and returns the next draw; it never changes it.
 */
public record ReservationState(Reservation reservation, BillingPeriod period, long allowanceUsedTokens) {

    public ReservationState {
        Check.notNull(reservation, "reservation");
        Check.notNull(period, "period");
        // May exceed the allowance: cancelling mid-month shrinks the prorated allowance below what was drawn.
        Check.notNegative(allowanceUsedTokens, "allowanceUsedTokens");
    }

    public static ReservationState fresh(Reservation reservation, BillingPeriod period) {
        return new ReservationState(reservation, period, 0);
    }

    public long allowanceTokens() {
        return reservation.allowanceTokensFor(period);
    }

    /**
     * What is left to draw, never below zero. After a cancellation shrank the allowance under what was already
     * drawn this is zero: usage rated before the cancellation keeps its rating (included) rather than being
     * turned into overage after the fact.
     */
    public long allowanceRemainingTokens() {
        return Math.max(0, allowanceTokens() - allowanceUsedTokens);
    }

    /** The state after recording {@code draw}; refuses a draw for another reservation or period, or beyond what is left. */
    public ReservationState after(AllowanceDraw draw) {
        Check.notNull(draw, "draw");
        Check.that(draw.reservationId().equals(reservation.id()) && draw.period().equals(period),
                () -> "draw for " + draw.reservationId() + " in " + draw.period() + " applied to " + reservation.id() + " in " + period);
        Check.that(draw.tokens() <= allowanceRemainingTokens(),
                () -> "draw of " + draw.tokens() + " tokens exceeds the " + allowanceRemainingTokens() + " left on " + reservation.id());
        return new ReservationState(reservation, period, allowanceUsedTokens + draw.tokens());
    }
}
