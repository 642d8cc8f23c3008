package io.maas.billing.rating;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ChargeKindTest {

    @Test
    void onlyReservationKindsAreReservationLines() {
        assertFalse(ChargeKind.PAYG_INPUT.isReservation());
        assertFalse(ChargeKind.PAYG_OUTPUT.isReservation());
        assertTrue(ChargeKind.RESERVATION_INCLUDED.isReservation());
        assertTrue(ChargeKind.RESERVATION_OVERAGE.isReservation());
    }
}
