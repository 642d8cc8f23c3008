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

    /** The long fast path against the exact BigDecimal product, for every shape of rate it takes or hands over. */
    private static void sameAsBigDecimal(long tokens, String rate) {
        BigDecimal r = new BigDecimal(rate);
        assertEquals(Money.roundToMicros(BigDecimal.valueOf(tokens).multiply(r)), Money.lineAmountMicros(tokens, r),
                tokens + " tokens at " + rate);
    }

    @Test
    void lineAmountsInLongArithmeticEqualTheExactBigDecimalOnes() {
        sameAsBigDecimal(10, "0.15");
        sameAsBigDecimal(30, "0.15");
        sameAsBigDecimal(1_999, "0.000000000000000001");
        sameAsBigDecimal(123_456_789, "85.000000000000");
        sameAsBigDecimal(7, "1E+3"); // negative scale: BigDecimal path
        sameAsBigDecimal(7, "0.0000000000000000001"); // 19 decimals: BigDecimal path
        sameAsBigDecimal(7, "1234567890123456789.5"); // 20 digits: BigDecimal path
        sameAsBigDecimal(Long.MAX_VALUE / 4, "3"); // product in [2^63, 2^64): BigDecimal path
        sameAsBigDecimal(Long.MAX_VALUE / 16, "0.3"); // tokens × unscaled overflows into the high word
        java.util.Random random = new java.util.Random(5);
        for (int i = 0; i < 100_000; i++) {
            long tokens = random.nextInt(5_000_000);
            BigDecimal rate = BigDecimal.valueOf(random.nextInt(1_000_000), random.nextInt(10));
            assertEquals(Money.roundToMicros(BigDecimal.valueOf(tokens).multiply(rate)),
                    Money.lineAmountMicros(tokens, rate), tokens + " at " + rate);
        }
    }

    @Test
    void anAmountBeyondALongIsRefusedOnEitherPath() {
        assertThrows(ArithmeticException.class, () -> Money.lineAmountMicros(Long.MAX_VALUE / 2, new BigDecimal("3")));
        assertThrows(ArithmeticException.class, () -> Money.lineAmountMicros(Long.MAX_VALUE, new BigDecimal("0.5E+2")));
    }

    @Test
    void divideHalfEvenRoundsTiesToTheEvenNeighbour() {
        assertEquals(2, Money.divideHalfEven(15, 10));
        assertEquals(2, Money.divideHalfEven(25, 10));
        assertEquals(2, Money.divideHalfEven(16, 10));
        assertEquals(1, Money.divideHalfEven(14, 10));
        assertEquals(7, Money.divideHalfEven(7, 1));
        assertEquals(0, Money.divideHalfEven(5, 10));
        assertEquals(0, Money.divideHalfEven(0, 3));
    }
}
