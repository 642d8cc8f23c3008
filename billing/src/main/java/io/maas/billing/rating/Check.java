package io.maas.billing.rating;

import java.math.BigDecimal;
import java.util.function.Supplier;

/** The invariant checks every rating value runs at construction, all failing with the same exception type. */
final class Check {
    private Check() {
    }

    static void that(boolean condition, String message) {
        if (!condition) {
            throw new InvalidRatingInputException(message);
        }
    }

    /**
     * As {@link #that(boolean, String)}, with the message built only when the check fails: rating runs these
     * checks on every event, and concatenating messages that are never shown was most of its cost.
     */
    static void that(boolean condition, Supplier<String> message) {
        if (!condition) {
            throw new InvalidRatingInputException(message.get());
        }
    }

    /**
     * An invariant of the rating code itself, always checked (unlike {@code assert}, which production JVMs
     * run without): breaking one is a bug here, not bad input, so it is not a {@link RatingException}.
     */
    static void invariant(boolean condition, String message) {
        if (!condition) {
            throw new IllegalStateException("rating invariant broken: " + message);
        }
    }

    /** An invariant that two counts agree, e.g. every token of a request is on exactly one line. */
    static void invariantEquals(long actual, long expected, String what) {
        if (actual != expected) {
            throw new IllegalStateException("rating invariant broken: " + what + " is " + actual + ", expected " + expected);
        }
    }

    static <T> T notNull(T value, String name) {
        if (value == null) {
            throw new InvalidRatingInputException(name + " is required");
        }
        return value;
    }

    static String notBlank(String value, String name) {
        if (value == null || value.isBlank()) {
            throw new InvalidRatingInputException(name + " is required and must not be blank");
        }
        return value;
    }

    static long notNegative(long value, String name) {
        if (value < 0) {
            throw new InvalidRatingInputException(name + " must be >= 0, was " + value);
        }
        return value;
    }

    static BigDecimal notNegative(BigDecimal value, String name) {
        notNull(value, name);
        if (value.signum() < 0) {
            throw new InvalidRatingInputException(name + " must be >= 0, was " + value.toPlainString());
        }
        return value;
    }
}
