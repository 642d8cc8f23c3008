package io.maas.billing.rating;

import static io.maas.billing.rating.RatingFixtures.ALLOWANCE_TOKENS;
import static io.maas.billing.rating.RatingFixtures.NOVEMBER;
import static io.maas.billing.rating.RatingFixtures.OVERAGE_RATE;
import static io.maas.billing.rating.RatingFixtures.reservation;
import static io.maas.billing.rating.RatingFixtures.state;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.math.BigDecimal;
import java.util.List;

import org.junit.jupiter.api.Test;

class ReservationChargeTest {
    private static final Reservation R1 = reservation("r1", ReservationScope.everything());

    @Test
    void aRequestWithinTheAllowanceIsIncludedAndDrawsIt() {
        ReservationCharge charge = ReservationCharge.against(state(R1, 0), 1_500);
        assertEquals(List.of(new TokenCharge(ChargeKind.RESERVATION_INCLUDED, 0, 1_500, BigDecimal.ZERO)), charge.charges());
        assertEquals(new AllowanceDraw("r1", NOVEMBER, 1_500), charge.draw());
    }

    @Test
    void requestStraddlingAllowanceSplitsIntoIncludedAndOverage() {
        ReservationCharge charge = ReservationCharge.against(state(R1, ALLOWANCE_TOKENS - 1_000), 1_500);
        assertEquals(List.of(
                new TokenCharge(ChargeKind.RESERVATION_INCLUDED, 0, 1_000, BigDecimal.ZERO),
                new TokenCharge(ChargeKind.RESERVATION_OVERAGE, 0, 500, OVERAGE_RATE)), charge.charges());
        assertEquals(1_000, charge.draw().tokens());
    }

    @Test
    void reservationOverageIsChargedAtOverageRate() {
        ReservationCharge charge = ReservationCharge.against(state(R1, ALLOWANCE_TOKENS), 1_500);
        assertEquals(List.of(new TokenCharge(ChargeKind.RESERVATION_OVERAGE, 0, 1_500, OVERAGE_RATE)), charge.charges());
        assertEquals(new AllowanceDraw("r1", NOVEMBER, 0), charge.draw(), "the draw names the reservation even when empty");
    }

    @Test
    void anEmptyRequestDrawsNothingAndHasNoLines() {
        ReservationCharge charge = ReservationCharge.against(state(R1, 0), 0);
        assertEquals(List.of(), charge.charges());
        assertEquals(0, charge.draw().tokens());
        assertThrows(InvalidRatingInputException.class, () -> ReservationCharge.against(state(R1, 0), -1));
        assertThrows(InvalidRatingInputException.class, () -> new ReservationCharge(null, charge.draw()));
        assertThrows(InvalidRatingInputException.class, () -> new ReservationCharge(List.of(), null));
    }
}
