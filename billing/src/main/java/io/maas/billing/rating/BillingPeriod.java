package io.maas.billing.rating;

import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;

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

    private static final long SECONDS_PER_DAY = 86_400;

    /** The period an instant falls in (UTC days have no leap seconds in epoch time, so days are 86,400 s). */
    public static BillingPeriod containing(Instant at) {
        LocalDate day = LocalDate.ofEpochDay(Math.floorDiv(at.getEpochSecond(), SECONDS_PER_DAY));
        return new BillingPeriod(YearMonth.of(day.getYear(), day.getMonth()));
    }

    public Instant start() {
        return Instant.ofEpochSecond(startEpochSecond());
    }

    /** Exclusive: the start of the next month. */
    public Instant end() {
        return Instant.ofEpochSecond(endEpochSecond());
    }

    private long startEpochSecond() {
        return month.atDay(1).toEpochDay() * SECONDS_PER_DAY;
    }

    private long endEpochSecond() {
        return startEpochSecond() + month.lengthOfMonth() * SECONDS_PER_DAY;
    }

    /** 2,419,200 (28 days) to 2,678,400 (31 days). */
    public long seconds() {
        return month.lengthOfMonth() * SECONDS_PER_DAY;
    }

    public boolean contains(Instant at) {
        return !at.isBefore(start()) && at.isBefore(end());
    }

    /**
     * The whole seconds of this period inside [from, until); {@code until == null} means open-ended.
     * Zero when they do not overlap.
     */
    public long overlapSeconds(Instant from, Instant until) {
        long periodStart = startEpochSecond();
        long periodEnd = periodStart + seconds();
        long startSecond = Math.max(periodStart, from.getEpochSecond());
        long endSecond = until == null ? periodEnd : Math.min(periodEnd, until.getEpochSecond());
        return Math.max(0, endSecond - startSecond);
    }

    @Override
    public String toString() {
        return month.toString();
    }
}
