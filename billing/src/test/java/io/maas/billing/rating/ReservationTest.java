package io.maas.billing.rating;

import static io.maas.billing.rating.RatingFixtures.ALLOWANCE_TOKENS;
import static io.maas.billing.rating.RatingFixtures.FEE_MICROS;
import static io.maas.billing.rating.RatingFixtures.NOVEMBER;
import static io.maas.billing.rating.RatingFixtures.OVERAGE_RATE;
import static io.maas.billing.rating.RatingFixtures.TENANT;
import static io.maas.billing.rating.RatingFixtures.USD;
import static io.maas.billing.rating.RatingFixtures.reservation;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.YearMonth;

import org.junit.jupiter.api.Test;

class ReservationTest {
    private static final Instant START = Instant.parse("2026-11-10T12:00:00Z");
    private static final ReservationScope ALL = ReservationScope.everything();

    @Test
    void feeAndAllowanceArePricedInMicrosAndTokens() {
        Reservation r = reservation("r1", ALL);
        assertEquals(2_800_000_000L, r.feeMonthlyMicros());
        assertEquals(120_000_000L, r.allowanceMonthlyTokens());
        assertEquals(0, new BigDecimal("85").compareTo(r.overageMicrosPerToken()));
    }

    @Test
    void aFullMonthPaysTheWholeFeeAndGetsTheWholeAllowance() {
        Reservation r = reservation("r1", ALL);
        assertEquals(FEE_MICROS, r.feeMicrosFor(NOVEMBER));
        assertEquals(ALLOWANCE_TOKENS, r.allowanceTokensFor(NOVEMBER));
    }

    @Test
    void proratedFeeForMidMonthStart() {
        Reservation r = reservation("r1", ALL, START);
        assertEquals(1_913_333_333L, r.feeMicrosFor(NOVEMBER));
        assertEquals(82_000_000L, r.allowanceTokensFor(NOVEMBER));
        assertEquals(FEE_MICROS, r.feeMicrosFor(BillingPeriod.of(YearMonth.of(2026, 12))), "the next month is whole");
        assertEquals(0, r.feeMicrosFor(BillingPeriod.of(YearMonth.of(2026, 10))), "nothing before it started");
    }

    @Test
    void cancellationProratesTheLastMonthAndStopsTheRest() {
        Reservation r = reservation("r1", ALL, START).endingAt(Instant.parse("2026-11-20T00:00:00Z"));
        // 9.5 days of 30: fee 886,666,666.67 -> 886,666,667 micros; allowance 38,000,000 tokens.
        assertEquals(886_666_667L, r.feeMicrosFor(NOVEMBER));
        assertEquals(38_000_000L, r.allowanceTokensFor(NOVEMBER));
        assertEquals(0, r.feeMicrosFor(BillingPeriod.of(YearMonth.of(2026, 12))));
    }

    @Test
    void activeFromItsStartUntilJustBeforeItsEnd() {
        Instant end = Instant.parse("2026-11-20T00:00:00Z");
        Reservation r = reservation("r1", ALL, START).endingAt(end);
        assertFalse(r.isActiveAt(START.minusNanos(1)));
        assertTrue(r.isActiveAt(START));
        assertTrue(r.isActiveAt(end.minusNanos(1)));
        assertFalse(r.isActiveAt(end));
        assertTrue(reservation("r2", ALL, START).isActiveAt(Instant.parse("2099-01-01T00:00:00Z")), "open-ended");
    }

    @Test
    void invalidReservationsAreRefused() {
        Instant end = START.plusSeconds(60);
        assertThrows(InvalidRatingInputException.class, () -> new Reservation(" ", TENANT, ALL, USD, 1, 1, OVERAGE_RATE, START, null));
        assertThrows(InvalidRatingInputException.class, () -> new Reservation("r", null, ALL, USD, 1, 1, OVERAGE_RATE, START, null));
        assertThrows(InvalidRatingInputException.class, () -> new Reservation("r", TENANT, null, USD, 1, 1, OVERAGE_RATE, START, null));
        assertThrows(InvalidRatingInputException.class, () -> new Reservation("r", TENANT, ALL, null, 1, 1, OVERAGE_RATE, START, null));
        assertThrows(InvalidRatingInputException.class, () -> new Reservation("r", TENANT, ALL, USD, -1, 1, OVERAGE_RATE, START, null));
        assertThrows(InvalidRatingInputException.class, () -> new Reservation("r", TENANT, ALL, USD, 1, -1, OVERAGE_RATE, START, null));
        assertThrows(InvalidRatingInputException.class,
                () -> new Reservation("r", TENANT, ALL, USD, 1, 1, new BigDecimal("-1"), START, null));
        assertThrows(InvalidRatingInputException.class, () -> new Reservation("r", TENANT, ALL, USD, 1, 1, OVERAGE_RATE, null, null));
        var fraction = assertThrows(InvalidRatingInputException.class,
                () -> new Reservation("r", TENANT, ALL, USD, 1, 1, OVERAGE_RATE, START.plusMillis(1), null));
        assertTrue(fraction.getMessage().contains("whole second"));
        assertThrows(InvalidRatingInputException.class,
                () -> new Reservation("r", TENANT, ALL, USD, 1, 1, OVERAGE_RATE, START, end.plusMillis(1)));
        var backwards = assertThrows(InvalidRatingInputException.class,
                () -> new Reservation("r", TENANT, ALL, USD, 1, 1, OVERAGE_RATE, end, START));
        assertTrue(backwards.getMessage().contains("end after it starts"));
        assertThrows(InvalidRatingInputException.class, () -> new Reservation("r", TENANT, ALL, USD, 1, 1, OVERAGE_RATE, START, START));
        assertThrows(InvalidRatingInputException.class, () -> reservation("r", ALL, START).endingAt(null));
    }
}
