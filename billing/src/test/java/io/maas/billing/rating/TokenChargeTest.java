package io.maas.billing.rating;

import static io.maas.billing.rating.RatingFixtures.rate;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class TokenChargeTest {

    @Test
    void aChargeHasAKindAtLeastOneTokenAndARate() {
        assertDoesNotThrow(() -> new TokenCharge(ChargeKind.PAYG_INPUT, 0, 1, rate("0")));
        assertThrows(InvalidRatingInputException.class, () -> new TokenCharge(ChargeKind.PAYG_INPUT, 0, 0, rate("1")));
        assertThrows(InvalidRatingInputException.class, () -> new TokenCharge(ChargeKind.PAYG_INPUT, -1, 1, rate("1")));
        assertThrows(InvalidRatingInputException.class, () -> new TokenCharge(null, 0, 1, rate("1")));
        assertThrows(InvalidRatingInputException.class, () -> new TokenCharge(ChargeKind.PAYG_INPUT, 0, 1, rate("-1")));
    }
}
