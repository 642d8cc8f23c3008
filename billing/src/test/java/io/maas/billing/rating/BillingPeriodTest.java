package io.maas.billing.rating;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.time.YearMonth;

import org.junit.jupiter.api.Test;

class BillingPeriodTest {
    private static final BillingPeriod NOVEMBER = BillingPeriod.of(YearMonth.of(2026, 11));

    @Test
    void aPeriodIsACalendarMonthInUtc() {
        assertEquals(Instant.parse("2026-11-01T00:00:00Z"), NOVEMBER.start());
        assertEquals(Instant.parse("2026-12-01T00:00:00Z"), NOVEMBER.end());
        assertEquals(30 * 86_400, NOVEMBER.seconds());
        assertEquals(28 * 86_400, BillingPeriod.of(YearMonth.of(2027, 2)).seconds());
        assertEquals(29 * 86_400, BillingPeriod.of(YearMonth.of(2028, 2)).seconds());
        assertEquals("2026-11", NOVEMBER.toString());
    }

    @Test
    void theInstantDecidesThePeriodInUtcNotLocalTime() {
        assertEquals(NOVEMBER, BillingPeriod.containing(Instant.parse("2026-11-30T23:59:59Z")));
        assertEquals(BillingPeriod.of(YearMonth.of(2026, 12)), BillingPeriod.containing(Instant.parse("2026-12-01T00:00:00Z")));
        assertTrue(NOVEMBER.contains(NOVEMBER.start()));
        assertFalse(NOVEMBER.contains(NOVEMBER.end()));
        assertFalse(NOVEMBER.contains(NOVEMBER.start().minusNanos(1)));
    }

    @Test
    void overlapCountsTheSecondsInsideThePeriod() {
        Instant midMonth = Instant.parse("2026-11-16T00:00:00Z");
        assertEquals(15 * 86_400, NOVEMBER.overlapSeconds(midMonth, null));
        assertEquals(15 * 86_400, NOVEMBER.overlapSeconds(Instant.parse("2026-10-01T00:00:00Z"), midMonth));
        assertEquals(NOVEMBER.seconds(), NOVEMBER.overlapSeconds(Instant.parse("2026-10-01T00:00:00Z"), Instant.parse("2027-01-01T00:00:00Z")));
        assertEquals(0, NOVEMBER.overlapSeconds(Instant.parse("2026-12-05T00:00:00Z"), null));
        assertEquals(0, NOVEMBER.overlapSeconds(Instant.parse("2026-09-01T00:00:00Z"), Instant.parse("2026-10-01T00:00:00Z")));
    }

    @Test
    void aPeriodNeedsAMonth() {
        assertThrows(InvalidRatingInputException.class, () -> BillingPeriod.of(null));
    }
}
