package io.maas.billing.rating;

import static io.maas.billing.rating.RatingFixtures.ALLOWANCE_TOKENS;
import static io.maas.billing.rating.RatingFixtures.FEE_MICROS;
import static io.maas.billing.rating.RatingFixtures.LLAMA;
import static io.maas.billing.rating.RatingFixtures.LONG_AGO;
import static io.maas.billing.rating.RatingFixtures.NOVEMBER;
import static io.maas.billing.rating.RatingFixtures.OVERAGE_RATE;
import static io.maas.billing.rating.RatingFixtures.USD;
import static io.maas.billing.rating.RatingFixtures.book;
import static io.maas.billing.rating.RatingFixtures.llamaFlat;
import static io.maas.billing.rating.RatingFixtures.reservation;
import static io.maas.billing.rating.RatingFixtures.state;
import static io.maas.billing.rating.RatingFixtures.usage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.YearMonth;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Currency;
import java.util.List;

import org.junit.jupiter.api.Test;

class RatingInputTest {
    private static final PriceBook BOOK = book(llamaFlat());
    private static final MarketplaceShare SHARES = MarketplaceShare.of(3_000);
    private static final Usage USAGE = usage(LLAMA, 10, 10);
    private static final ReservationState R1 = state(reservation("r1", ReservationScope.everything()), 0);

    @Test
    void theReservationStatesMustBeTheTenantsForTheUsagesPeriodInTheBooksCurrency() {
        assertEquals(List.of(R1), new RatingInput(USAGE, BOOK, List.of(R1), SHARES).reservations());
        Reservation otherTenant = new Reservation("r2", "globex", ReservationScope.everything(), USD, FEE_MICROS,
                ALLOWANCE_TOKENS, OVERAGE_RATE, LONG_AGO, null);
        var foreign = assertThrows(InvalidRatingInputException.class,
                () -> new RatingInput(USAGE, BOOK, List.of(state(otherTenant, 0)), SHARES));
        assertTrue(foreign.getMessage().contains("globex"));
        ReservationState december = new ReservationState(R1.reservation(), BillingPeriod.of(YearMonth.of(2026, 12)), 0);
        var otherMonth = assertThrows(InvalidRatingInputException.class, () -> new RatingInput(USAGE, BOOK, List.of(december), SHARES));
        assertTrue(otherMonth.getMessage().contains("2026-12"));
        Reservation euros = new Reservation("r3", RatingFixtures.TENANT, ReservationScope.everything(), Currency.getInstance("EUR"),
                FEE_MICROS, ALLOWANCE_TOKENS, OVERAGE_RATE, LONG_AGO, null);
        assertThrows(InvalidRatingInputException.class, () -> new RatingInput(USAGE, BOOK, List.of(state(euros, 0)), SHARES));
    }

    @Test
    void aReservationGivenTwiceIsRefused() {
        ReservationState again = new ReservationState(R1.reservation(), NOVEMBER, 5);
        assertThrows(InvalidRatingInputException.class, () -> new RatingInput(USAGE, BOOK, List.of(R1, again), SHARES));
    }

    @Test
    void missingPartsAreRefused() {
        assertThrows(InvalidRatingInputException.class, () -> new RatingInput(null, BOOK, List.of(), SHARES));
        assertThrows(InvalidRatingInputException.class, () -> new RatingInput(USAGE, null, List.of(), SHARES));
        assertThrows(InvalidRatingInputException.class, () -> new RatingInput(USAGE, BOOK, null, SHARES));
        assertThrows(InvalidRatingInputException.class, () -> new RatingInput(USAGE, BOOK, List.of(), null));
        assertThrows(InvalidRatingInputException.class,
                () -> new RatingInput(USAGE, BOOK, new ArrayList<>(Arrays.asList(R1, null)), SHARES));
    }
}
