package io.maas.billing.rating;

import static io.maas.billing.rating.RatingFixtures.ALLOWANCE_TOKENS;
import static io.maas.billing.rating.RatingFixtures.FEE_MICROS;
import static io.maas.billing.rating.RatingFixtures.NOVEMBER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Instant;

import org.junit.jupiter.api.Test;

class ProrationTest {
    private static final long NOVEMBER_SECONDS = 2_592_000;

    @Test
    void proratedFeeForMidMonthStart() {
        // Started 2026-11-10T12:00Z: 20.5 of November's 30 days, 1,771,200 of 2,592,000 seconds.
        Instant start = Instant.parse("2026-11-10T12:00:00Z");
        assertEquals(1_913_333_333L, Proration.prorate(FEE_MICROS, NOVEMBER, start, null), "$1,913.333333");
        assertEquals(82_000_000L, Proration.prorate(ALLOWANCE_TOKENS, NOVEMBER, start, null));
    }

    @Test
    void proratedFeeForMidMonthCancellation() {
        // Cancelled at 2026-11-20T00:00Z: 19 of 30 days.
        Instant cancelled = Instant.parse("2026-11-20T00:00:00Z");
        assertEquals(1_773_333_333L, Proration.prorate(FEE_MICROS, NOVEMBER, Instant.parse("2026-01-01T00:00:00Z"), cancelled));
        assertEquals(76_000_000L, Proration.prorate(ALLOWANCE_TOKENS, NOVEMBER, Instant.parse("2026-01-01T00:00:00Z"), cancelled));
    }

    @Test
    void prorationRoundsHalfToEvenOnce() {
        long half = NOVEMBER_SECONDS / 2;
        assertEquals(0, Proration.prorate(1, half, NOVEMBER_SECONDS), "0.5 -> 0");
        assertEquals(2, Proration.prorate(3, half, NOVEMBER_SECONDS), "1.5 -> 2");
        assertEquals(2, Proration.prorate(5, half, NOVEMBER_SECONDS), "2.5 -> 2");
        assertEquals(1, Proration.prorate(2, 1_296_001, NOVEMBER_SECONDS), "just above 1 rounds to 1");
        assertEquals(1, Proration.prorate(1, 1_296_001, NOVEMBER_SECONDS), "just above 0.5 rounds up");
    }

    @Test
    void aWholeMonthIsTheWholeAmountAndNoTimeIsNothing() {
        assertEquals(FEE_MICROS, Proration.prorate(FEE_MICROS, NOVEMBER_SECONDS, NOVEMBER_SECONDS));
        assertEquals(0, Proration.prorate(FEE_MICROS, 0, NOVEMBER_SECONDS));
    }

    @Test
    void impossibleSpansAreRefused() {
        assertThrows(InvalidRatingInputException.class, () -> Proration.prorate(-1, 1, 2));
        assertThrows(InvalidRatingInputException.class, () -> Proration.prorate(1, 1, 0));
        assertThrows(InvalidRatingInputException.class, () -> Proration.prorate(1, -1, 2));
        assertThrows(InvalidRatingInputException.class, () -> Proration.prorate(1, 3, 2));
        assertThrows(InvalidRatingInputException.class, () -> Proration.prorate(1, null, Instant.EPOCH, null));
        assertThrows(InvalidRatingInputException.class, () -> Proration.prorate(1, NOVEMBER, null, null));
    }

    private static long exact(long amount, long active, long period) {
        return java.math.BigDecimal.valueOf(amount).multiply(java.math.BigDecimal.valueOf(active))
                .divide(java.math.BigDecimal.valueOf(period), 0, java.math.RoundingMode.HALF_EVEN).longValueExact();
    }

    @Test
    void amountsWhoseProductOverflowsALongAreProratedExactly() {
        long big = Long.MAX_VALUE / 2; // 2^62 - 1
        // × 8: beyond 2^64 (the high word is set); × 4: within [2^63, 2^64) (the sign bit is set).
        assertEquals(exact(big, 8, 16), Proration.prorate(big, 8, 16));
        assertEquals(exact(big, 4, 8), Proration.prorate(big, 4, 8));
        assertEquals(2_305_843_009_213_693_952L, Proration.prorate(big, 4, 8), "x.5 rounds to the even neighbour");
        assertEquals(exact(120_000_000, 1_771_200, 2_592_000), Proration.prorate(120_000_000, 1_771_200, 2_592_000));
    }
}
