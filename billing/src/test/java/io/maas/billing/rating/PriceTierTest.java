package io.maas.billing.rating;

import static io.maas.billing.rating.RatingFixtures.rate;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PriceTierTest {

    @Test
    void onlyTheLastTierIsUnbounded() {
        assertTrue(PriceTier.unbounded(rate("1"), rate("2")).isUnbounded());
        assertFalse(PriceTier.upTo(512, rate("120"), rate("120")).isUnbounded());
    }

    @Test
    void boundsAndRatesAreValidated() {
        assertThrows(InvalidRatingInputException.class, () -> PriceTier.upTo(0, rate("1"), rate("1")));
        assertThrows(InvalidRatingInputException.class, () -> PriceTier.upTo(10, rate("-1"), rate("1")));
        assertThrows(InvalidRatingInputException.class, () -> PriceTier.upTo(10, rate("1"), rate("-1")));
        assertThrows(InvalidRatingInputException.class, () -> PriceTier.upTo(10, null, rate("1")));
    }
}
