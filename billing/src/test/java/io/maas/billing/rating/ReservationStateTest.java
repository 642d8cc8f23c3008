package io.maas.billing.rating;

import static io.maas.billing.rating.RatingFixtures.ALLOWANCE_TOKENS;
import static io.maas.billing.rating.RatingFixtures.NOVEMBER;
import static io.maas.billing.rating.RatingFixtures.reservation;
import static io.maas.billing.rating.RatingFixtures.state;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.time.YearMonth;

import org.junit.jupiter.api.Test;

class ReservationStateTest {
    private static final Reservation R1 = reservation("r1", ReservationScope.everything());

    @Test
    void remainingAllowanceIsThePeriodsAllowanceLessWhatWasDrawn() {
        ReservationState fresh = ReservationState.fresh(R1, NOVEMBER);
        assertEquals(ALLOWANCE_TOKENS, fresh.allowanceTokens());
        assertEquals(ALLOWANCE_TOKENS, fresh.allowanceRemainingTokens());
        ReservationState after = fresh.after(new AllowanceDraw("r1", NOVEMBER, 1_000));
        assertEquals(1_000, after.allowanceUsedTokens());
        assertEquals(ALLOWANCE_TOKENS - 1_000, after.allowanceRemainingTokens());
    }

    @Test
    void theWholeAllowanceCanBeDrawnButNotMore() {
        ReservationState almost = state(R1, ALLOWANCE_TOKENS - 10);
        assertEquals(0, almost.after(new AllowanceDraw("r1", NOVEMBER, 10)).allowanceRemainingTokens());
        var beyond = assertThrows(InvalidRatingInputException.class, () -> almost.after(new AllowanceDraw("r1", NOVEMBER, 11)));
        assertTrue(beyond.getMessage().contains("exceeds"));
    }

    @Test
    void cancellationThatShrinksTheAllowanceBelowUsageLeavesNothingRemainingNotLessThanNothing() {
        // 100M drawn by Nov 20, then cancelled as of Nov 20: the prorated allowance is 76M.
        Reservation cancelled = R1.endingAt(Instant.parse("2026-11-20T00:00:00Z"));
        ReservationState state = state(cancelled, 100_000_000);
        assertEquals(76_000_000, state.allowanceTokens());
        assertEquals(0, state.allowanceRemainingTokens());
        assertEquals(state, state.after(new AllowanceDraw("r1", NOVEMBER, 0)));
    }

    @Test
    void aDrawForAnotherReservationOrPeriodIsRefused() {
        ReservationState state = state(R1, 0);
        assertThrows(InvalidRatingInputException.class, () -> state.after(new AllowanceDraw("r2", NOVEMBER, 1)));
        assertThrows(InvalidRatingInputException.class,
                () -> state.after(new AllowanceDraw("r1", BillingPeriod.of(YearMonth.of(2026, 12)), 1)));
        assertThrows(InvalidRatingInputException.class, () -> state.after(null));
    }

    @Test
    void invalidStatesAreRefused() {
        assertThrows(InvalidRatingInputException.class, () -> new ReservationState(null, NOVEMBER, 0));
        assertThrows(InvalidRatingInputException.class, () -> new ReservationState(R1, null, 0));
        assertThrows(InvalidRatingInputException.class, () -> new ReservationState(R1, NOVEMBER, -1));
    }
}
