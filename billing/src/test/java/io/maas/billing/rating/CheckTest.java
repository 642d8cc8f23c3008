package io.maas.billing.rating;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;

import org.junit.jupiter.api.Test;

/** The invariant checks: bad input is a rating exception naming the field; a broken invariant is a bug. */
class CheckTest {

    @Test
    void badInputIsARatingExceptionNamingTheField() {
        var blank = assertThrows(InvalidRatingInputException.class, () -> Check.notBlank(" ", "tenantId"));
        assertTrue(blank.getMessage().contains("tenantId"));
        assertThrows(InvalidRatingInputException.class, () -> Check.notBlank(null, "tenantId"));
        assertThrows(InvalidRatingInputException.class, () -> Check.notNull(null, "x"));
        assertThrows(InvalidRatingInputException.class, () -> Check.notNegative(-1, "tokens"));
        assertThrows(InvalidRatingInputException.class, () -> Check.notNegative(new BigDecimal("-0.01"), "rate"));
        assertThrows(InvalidRatingInputException.class, () -> Check.notNegative((BigDecimal) null, "rate"));
    }

    @Test
    void validValuesPassThrough() {
        assertEquals("a", Check.notBlank("a", "x"));
        assertEquals(0, Check.notNegative(0, "x"));
        assertEquals(BigDecimal.ZERO, Check.notNegative(BigDecimal.ZERO, "x"));
        assertDoesNotThrow(() -> Check.invariant(true, "holds"));
    }

    @Test
    void aBrokenInvariantIsABugNotBadInput() {
        var broken = assertThrows(IllegalStateException.class, () -> Check.invariant(false, "tokens add up"));
        assertTrue(broken.getMessage().contains("tokens add up"));
        var unequal = assertThrows(IllegalStateException.class, () -> Check.invariantEquals(41, 42, "tokens on the lines"));
        assertTrue(unequal.getMessage().contains("tokens on the lines is 41, expected 42"), unequal.getMessage());
        assertDoesNotThrow(() -> Check.invariantEquals(42, 42, "tokens on the lines"));
    }
}
