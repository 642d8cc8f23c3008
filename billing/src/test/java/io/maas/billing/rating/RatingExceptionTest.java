package io.maas.billing.rating;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.time.Instant;

import org.junit.jupiter.api.Test;

/** One family: a caller that catches RatingException catches every reason a usage cannot be rated. */
class RatingExceptionTest {

    @Test
    void everyRatingFailureIsARatingException() {
        assertInstanceOf(RatingException.class, new InvalidRatingInputException("x"));
        assertInstanceOf(RatingException.class, new NoPriceException(ModelRef.base("m"), Instant.EPOCH));
        assertInstanceOf(RatingException.class, new UnknownChargeModelException("x"));
        assertInstanceOf(RuntimeException.class, new RatingException("x"));
        assertEquals("why", new RatingException("why").getMessage());
    }
}
