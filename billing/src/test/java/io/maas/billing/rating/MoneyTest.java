package io.maas.billing.rating;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;

import org.junit.jupiter.api.Test;

/** Units and the line rounding rule: exact product, rounded half-even to whole micros, once. */
class MoneyTest {

    @Test
    void lineAmountRoundsHalfToEvenAtPointFive() {
        BigDecimal half = new BigDecimal("0.5");
        assertEquals(0, Money.lineAmountMicros(1, half), "0.5 -> 0");
        assertEquals(2, Money.lineAmountMicros(3, half), "1.5 -> 2");
        assertEquals(2, Money.lineAmountMicros(5, half), "2.5 -> 2");
        assertEquals(4, Money.lineAmountMicros(7, half), "3.5 -> 4");
        // $0.15 per 1M tokens: 10 tokens are 1.5 micros, 30 tokens 4.5 micros.
        assertEquals(2, Money.lineAmountMicros(10, Money.ratePerMillionTokens("0.15")));
        assertEquals(4, Money.lineAmountMicros(30, Money.ratePerMillionTokens("0.15")));
    }

    @Test
    void lineAmountRoundsToTheNearestAwayFromPointFive() {
        BigDecimal rate = new BigDecimal("0.15");
        assertEquals(1, Money.lineAmountMicros(9, rate), "1.35 -> 1");
        assertEquals(2, Money.lineAmountMicros(11, rate), "1.65 -> 2");
        assertEquals(0, Money.lineAmountMicros(3, rate), "0.45 -> 0");
    }

    @Test
    void wholeRatesNeedNoRounding() {
        assertEquals(42_500, Money.lineAmountMicros(500, Money.ratePerToken("0.000085")));
        assertEquals(0, Money.lineAmountMicros(0, new BigDecimal("85")));
    }

    @Test
    void aRateInMicrosPerTokenIsThePricePerMillionTokens() {
        assertEquals(0, new BigDecimal("85").compareTo(Money.ratePerToken("0.000085")));
        assertEquals(0, new BigDecimal("120").compareTo(Money.ratePerToken("0.00012")));
        assertEquals(0, new BigDecimal("0.15").compareTo(Money.ratePerMillionTokens("0.15")));
        assertThrows(InvalidRatingInputException.class, () -> Money.ratePerToken("-0.1"));
        assertThrows(InvalidRatingInputException.class, () -> Money.ratePerMillionTokens("-0.1"));
    }

    @Test
    void currencyUnitsConvertToWholeMicrosExactlyOrNotAtAll() {
        assertEquals(2_800_000_000L, Money.micros("2800"));
        assertEquals(42_500, Money.micros("0.0425"));
        assertEquals(1, Money.micros("0.000001"));
        assertEquals(0, Money.micros("0"));
        assertThrows(InvalidRatingInputException.class, () -> Money.micros("0.0000001"));
        assertEquals(2_800_000_000L, Money.micros(" 2800.00 "));
    }

    @Test
    void textThatIsNotADecimalIsABadInputNotACrash() {
        var garbage = assertThrows(InvalidRatingInputException.class, () -> Money.micros("$2,800"));
        assertTrue(garbage.getMessage().contains("$2,800"));
        assertThrows(InvalidRatingInputException.class, () -> Money.ratePerToken("1e"));
        assertThrows(InvalidRatingInputException.class, () -> Money.ratePerMillionTokens(null));
    }

    @Test
    void negativeInputsAndOverflowAreRefused() {
        assertThrows(InvalidRatingInputException.class, () -> Money.lineAmountMicros(-1, BigDecimal.ONE));
        assertThrows(InvalidRatingInputException.class, () -> Money.lineAmountMicros(1, new BigDecimal("-1")));
        assertThrows(ArithmeticException.class, () -> Money.lineAmountMicros(Long.MAX_VALUE, new BigDecimal("2")));
    }

    @Test
    void roundToMicrosIsHalfEvenForNegativeAmountsToo() {
        assertEquals(-2, Money.roundToMicros(new BigDecimal("-2.5")));
        assertEquals(-4, Money.roundToMicros(new BigDecimal("-3.5")));
    }
}
