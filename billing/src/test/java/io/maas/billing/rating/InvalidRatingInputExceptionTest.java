package io.maas.billing.rating;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class InvalidRatingInputExceptionTest {

    @Test
    void carriesTheMessageThatNamesTheField() {
        assertEquals("tokens must be >= 0, was -1", new InvalidRatingInputException("tokens must be >= 0, was -1").getMessage());
        var thrown = assertThrows(InvalidRatingInputException.class, () -> new AllowanceDraw("r1", null, 0));
        assertEquals("period is required", thrown.getMessage());
    }
}
