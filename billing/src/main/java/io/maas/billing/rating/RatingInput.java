package io.maas.billing.rating;

import java.util.List;

/**
 * Everything rating one usage reads: the usage, the price book, the tenant's reservation states for the
 * usage's period (with allowance used so far), and the marketplace shares. Checked together here, because
 * each value is valid alone but they must also belong together.
 */
public record RatingInput(Usage usage, PriceBook priceBook, List<ReservationState> reservations, MarketplaceShare shares) {

    private static boolean givenBefore(List<ReservationState> states, int index) {
        String id = states.get(index).reservation().id();
        for (int j = 0; j < index; j++) {
            if (states.get(j).reservation().id().equals(id)) {
                return true;
            }
        }
        return false;
    }

    public RatingInput {
        Check.notNull(usage, "usage");
        Check.notNull(priceBook, "priceBook");
        Check.notNull(shares, "shares");
        // List.copyOf refuses null elements; a tenant holds a handful of reservations, so the duplicate check
        // compares pairs rather than allocating a set for every rated event.
        try {
            reservations = List.copyOf(Check.notNull(reservations, "reservations"));
        } catch (NullPointerException e) {
            throw new InvalidRatingInputException("reservation state is required");
        }
        BillingPeriod period = BillingPeriod.containing(usage.time());
        for (int i = 0; i < reservations.size(); i++) {
            ReservationState state = reservations.get(i);
            Reservation reservation = state.reservation();
            Check.that(!givenBefore(reservations, i), () -> "reservation " + reservation.id() + " is given twice");
            Check.that(reservation.tenantId().equals(usage.tenantId()),
                    () -> "reservation " + reservation.id() + " belongs to " + reservation.tenantId() + ", not " + usage.tenantId());
            // A state of another month holds that month's allowance; drawing on it would move allowance across months.
            Check.that(state.period().equals(period),
                    () -> "reservation state " + reservation.id() + " is for " + state.period() + ", the usage is in " + period);
            Check.that(reservation.currency().equals(priceBook.currency()),
                    () -> "reservation " + reservation.id() + " is in " + reservation.currency() + ", the price book in "
                            + priceBook.currency());
        }
    }
}
