package io.maas.billing.rating;

import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * The matching rule of hybrid billing: a request is rated against the most specific reservation that is
 * active at its time and whose scope covers its model; with none, it is pay-as-you-go.
 */
public final class ReservationMatch {
    /**
     * Best first: the narrower scope; among equally narrow ones the earliest start (the reservation the
     * tenant has held longest, a choice that does not move as reservations are added later), then the
     * smaller id, so the choice is total and never depends on input order.
     */
    public static final Comparator<ReservationState> PREFERENCE = Comparator
            .comparingInt((ReservationState state) -> state.reservation().scope().specificity()).reversed()
            .thenComparing(state -> state.reservation().startsAt())
            .thenComparing(state -> state.reservation().id());

    private ReservationMatch() {
    }

    /**
     * The reservation to rate a request on {@code model} at {@code at} against. Its allowance may already be
     * spent: the request is then overage on it, not moved to another reservation or to pay-as-you-go.
     */
    public static Optional<ReservationState> mostSpecific(List<ReservationState> states, ModelRef model, Instant at) {
        ReservationState best = null;
        for (ReservationState state : states) {
            if (state.reservation().isActiveAt(at) && state.reservation().scope().covers(model)
                    && (best == null || PREFERENCE.compare(state, best) < 0)) {
                best = state;
            }
        }
        return Optional.ofNullable(best);
    }
}
