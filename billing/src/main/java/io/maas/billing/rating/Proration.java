package io.maas.billing.rating;

import java.math.BigDecimal;
import java.time.Instant;

/**
 * Monthly amounts for part of a month, by the second: amount × activeSeconds / periodSeconds, computed
 * exactly and rounded once, half-even, to a whole unit (micros for a fee, tokens for an allowance). A fee and
 * its allowance use this same function, so a reservation's price per included token is the same whether it
 * ran all month or part of it (up to that one rounding).
 */
public final class Proration {
    private Proration() {
    }

    public static long prorate(long monthlyAmount, long activeSeconds, long periodSeconds) {
        Check.notNegative(monthlyAmount, "monthlyAmount");
        Check.that(periodSeconds > 0, () -> "periodSeconds must be > 0, was " + periodSeconds);
        Check.that(activeSeconds >= 0 && activeSeconds <= periodSeconds,
                () -> "activeSeconds must be within 0.." + periodSeconds + ", was " + activeSeconds);
        long high = Math.multiplyHigh(monthlyAmount, activeSeconds);
        long product = monthlyAmount * activeSeconds;
        if (high == 0 && product >= 0) {
            return Money.divideHalfEven(product, periodSeconds);
        }
        return BigDecimal.valueOf(monthlyAmount).multiply(BigDecimal.valueOf(activeSeconds))
                .divide(BigDecimal.valueOf(periodSeconds), 0, Money.ROUNDING)
                .longValueExact();
    }

    /** {@code monthlyAmount} for the part of {@code period} inside [from, until); until null = open-ended. */
    public static long prorate(long monthlyAmount, BillingPeriod period, Instant from, Instant until) {
        Check.notNull(period, "period");
        Check.notNull(from, "from");
        return prorate(monthlyAmount, period.overlapSeconds(from, until), period.seconds());
    }
}
