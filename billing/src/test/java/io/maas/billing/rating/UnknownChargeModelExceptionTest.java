package io.maas.billing.rating;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import org.junit.jupiter.api.Test;

class UnknownChargeModelExceptionTest {

    @Test
    void namesTheValueAndBelongsToTheRatingFamily() {
        assertEquals("unknown charge model 'package'", new UnknownChargeModelException("package").getMessage());
        assertEquals("unknown charge model null", new UnknownChargeModelException(null).getMessage());
        assertInstanceOf(RatingException.class, new UnknownChargeModelException("x"));
    }
}
