package io.maas.billing.rating;

import static io.maas.billing.rating.RatingFixtures.NOVEMBER;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class AllowanceDrawTest {

    @Test
    void aDrawNamesItsReservationAndPeriodAndIsNeverNegative() {
        assertDoesNotThrow(() -> new AllowanceDraw("r1", NOVEMBER, 0));
        assertThrows(InvalidRatingInputException.class, () -> new AllowanceDraw("r1", NOVEMBER, -1));
        assertThrows(InvalidRatingInputException.class, () -> new AllowanceDraw(null, NOVEMBER, 1));
        assertThrows(InvalidRatingInputException.class, () -> new AllowanceDraw("r1", null, 1));
    }
}
