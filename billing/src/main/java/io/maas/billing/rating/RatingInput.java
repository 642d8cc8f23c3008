package io.maas.billing.rating;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Everything rating one usage reads: the usage, the price book, the tenant's reservation states for the
 * usage's period (with allowance used so far), and the marketplace shares. Checked together here, because
 * each value is valid alone but they must also belong together.
 */
public record RatingInput(Usage usage, PriceBook priceBook, List<ReservationState> reservations, MarketplaceShare shares) {

    public RatingInput {
        Check.notNull(usage, "usage");
        Check.notNull(priceBook, "priceBook");
        Check.notNull(shares, "shares");
        Check.notNull(reservations, "reservations").forEach(state -> Check.notNull(state, "reservation state"));
        reservations = List.copyOf(reservations);
        BillingPeriod period = BillingPeriod.containing(usage.time());
        Set<String> ids = new HashSet<>();
        for (ReservationState state : reservations) {
            Reservation reservation = state.reservation();
            Check.that(ids.add(reservation.id()), "reservation " + reservation.id() + " is given twice");
            Check.that(reservation.tenantId().equals(usage.tenantId()),
                    "reservation " + reservation.id() + " belongs to " + reservation.tenantId() + ", not " + usage.tenantId());
            // A state of another month holds that month's allowance; drawing on it would move allowance across months.
            Check.that(state.period().equals(period),
                    "reservation state " + reservation.id() + " is for " + state.period() + ", the usage is in " + period);
            Check.that(reservation.currency().equals(priceBook.currency()),
                    "reservation " + reservation.id() + " is in " + reservation.currency() + ", the price book in "
                            + priceBook.currency());
        }
    }
}
