package io.maas.billing.rating;

import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;

/**
 * A billing period: one calendar month in UTC, [start, end). UTC so that a period has the same bounds for
 * every tenant and never a daylight-saving hour more or less.
 */
public record BillingPeriod(YearMonth month) {

    public BillingPeriod {
        Check.notNull(month, "month");
    }

    public static BillingPeriod of(YearMonth month) {
        return new BillingPeriod(month);
    }

    /** The period an instant falls in. */
    public static BillingPeriod containing(Instant at) {
        return new BillingPeriod(YearMonth.from(at.atOffset(ZoneOffset.UTC)));
    }

    public Instant start() {
        return month.atDay(1).atStartOfDay(ZoneOffset.UTC).toInstant();
    }

    /** Exclusive: the start of the next month. */
    public Instant end() {
        return month.plusMonths(1).atDay(1).atStartOfDay(ZoneOffset.UTC).toInstant();
    }

    /** 2,419,200 (28 days) to 2,678,400 (31 days). */
    public long seconds() {
        return end().getEpochSecond() - start().getEpochSecond();
    }

    public boolean contains(Instant at) {
        return !at.isBefore(start()) && at.isBefore(end());
    }

    /**
     * The whole seconds of this period inside [from, until); {@code until == null} means open-ended.
     * Zero when they do not overlap.
     */
    public long overlapSeconds(Instant from, Instant until) {
        long startSecond = Math.max(start().getEpochSecond(), from.getEpochSecond());
        long endSecond = until == null ? end().getEpochSecond() : Math.min(end().getEpochSecond(), until.getEpochSecond());
        return Math.max(0, endSecond - startSecond);
    }

    @Override
    public String toString() {
        return month.toString();
    }
}
