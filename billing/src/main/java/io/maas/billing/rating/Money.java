package io.maas.billing.rating;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * Units and the one rounding rule of rating. Amounts are whole micro-units of the price book's currency in a
 * {@code long} (1 USD = 1,000,000 µUSD); rates are {@link BigDecimal} micro-units per token, because real
 * prices are fractions of a micro-unit per token ($0.15 per million tokens = 0.15 µUSD per token). A rate in
 * µ-units per token is numerically the price in currency units per million tokens, the unit vendors quote.
 */
public final class Money {
    public static final long MICROS_PER_UNIT = 1_000_000L;
    /** Half-even (banker's) rounding: unbiased, so many small lines do not drift up or down on average. */
    public static final RoundingMode ROUNDING = RoundingMode.HALF_EVEN;

    private Money() {
    }

    /**
     * The amount of one charge line: tokens × rate, computed exactly and rounded to whole micros once,
     * half-even. Lines are rounded one by one and never re-rounded, so a line's amount is reproducible from
     * its own tokens and rate alone.
     */
    public static long lineAmountMicros(long tokens, BigDecimal rateMicrosPerToken) {
        Check.notNegative(tokens, "tokens");
        Check.notNegative(rateMicrosPerToken, "rateMicrosPerToken");
        // Exact in long arithmetic when the rate is at most 18 digits with 0..18 decimals (unscaled / 10^scale)
        // and tokens × unscaled fits in 63 bits; otherwise exact in BigDecimal. Both round half-even once.
        int scale = rateMicrosPerToken.scale();
        if (scale >= 0 && scale < POW10.length && rateMicrosPerToken.precision() <= MAX_LONG_DIGITS) {
            long unscaled = rateMicrosPerToken.unscaledValue().longValue();
            long high = Math.multiplyHigh(tokens, unscaled);
            long product = tokens * unscaled;
            if (high == 0 && product >= 0) {
                return divideHalfEven(product, POW10[scale]);
            }
        }
        return roundToMicros(BigDecimal.valueOf(tokens).multiply(rateMicrosPerToken));
    }

    /** Digits of every number of up to 18 digits fit a long (10^18 - 1 < 2^63). */
    private static final int MAX_LONG_DIGITS = 18;
    private static final long[] POW10 = {1L, 10L, 100L, 1_000L, 10_000L, 100_000L, 1_000_000L, 10_000_000L,
        100_000_000L, 1_000_000_000L, 10_000_000_000L, 100_000_000_000L, 1_000_000_000_000L, 10_000_000_000_000L,
        100_000_000_000_000L, 1_000_000_000_000_000L, 10_000_000_000_000_000L, 100_000_000_000_000_000L,
        1_000_000_000_000_000_000L};

    /**
     * {@code dividend / divisor} rounded half-even to a whole number, for dividend >= 0 and divisor > 0: the same
     * result as {@code BigDecimal.divide(…, 0, HALF_EVEN)}, without allocating.
     */
    static long divideHalfEven(long dividend, long divisor) {
        long quotient = dividend / divisor;
        long remainder = dividend - quotient * divisor;
        long toNext = divisor - remainder;
        if (remainder > toNext || (remainder == toNext && (quotient & 1) == 1)) {
            quotient++;
        }
        return quotient;
    }

    /** Exact micros rounded half-even to a whole number; fails rather than wrap when it exceeds a long. */
    public static long roundToMicros(BigDecimal exactMicros) {
        return exactMicros.setScale(0, ROUNDING).longValueExact();
    }

    /** Currency units ("2800", "0.0425") to whole micros; refuses more than six decimals instead of rounding. */
    public static long micros(String units) {
        BigDecimal micros = parse(units, "amount").movePointRight(6);
        Check.that(micros.stripTrailingZeros().scale() <= 0, units + " has more than six decimals: not whole micros");
        return micros.longValueExact();
    }

    /** A per-token price in currency units ("0.000085" USD/token) as a rate in micros per token (85). */
    public static BigDecimal ratePerToken(String unitsPerToken) {
        return Check.notNegative(parse(unitsPerToken, "rate").movePointRight(6), "rate");
    }

    /** A price per million tokens in currency units ("0.15" USD/1M) as a rate in micros per token (0.15). */
    public static BigDecimal ratePerMillionTokens(String unitsPerMillionTokens) {
        return Check.notNegative(parse(unitsPerMillionTokens, "rate"), "rate");
    }

    private static BigDecimal parse(String decimal, String name) {
        Check.notNull(decimal, name);
        try {
            return new BigDecimal(decimal.strip());
        } catch (NumberFormatException e) {
            throw new InvalidRatingInputException(name + " '" + decimal + "' is not a decimal number");
        }
    }
}
