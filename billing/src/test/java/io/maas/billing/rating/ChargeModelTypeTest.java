package io.maas.billing.rating;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ChargeModelTypeTest {

    @Test
    void everyTypeRoundTripsThroughItsWireName() {
        for (ChargeModelType type : ChargeModelType.values()) {
            assertEquals(type, ChargeModelType.fromWire(type.wireName()));
        }
        assertEquals(ChargeModelType.GRADUATED_TIERED, ChargeModelType.fromWire("graduated_tiered"));
    }

    @Test
    void unknownChargeModelIsRejected() {
        var unknown = assertThrows(UnknownChargeModelException.class, () -> ChargeModelType.fromWire("volume"));
        assertTrue(unknown.getMessage().contains("'volume'"));
        // Names are exact: the Java constant's spelling is not a second wire name.
        assertThrows(UnknownChargeModelException.class, () -> ChargeModelType.fromWire("FLAT"));
        var missing = assertThrows(UnknownChargeModelException.class, () -> ChargeModelType.fromWire(null));
        assertTrue(missing.getMessage().contains("null"));
    }
}
