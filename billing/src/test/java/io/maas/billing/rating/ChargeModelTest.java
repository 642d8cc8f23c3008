package io.maas.billing.rating;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ChargeModelTest {

    @Test
    void everyChargeModelTypeHasItsOwnModel() {
        for (ChargeModelType type : ChargeModelType.values()) {
            assertEquals(type, ChargeModel.of(type).type());
        }
        assertEquals(3, java.util.Arrays.stream(ChargeModelType.values()).map(ChargeModel::of).distinct().count());
    }

    @Test
    void noChargeModelIsRejectedNotDefaulted() {
        assertThrows(UnknownChargeModelException.class, () -> ChargeModel.of(null));
    }
}
