package io.maas.console.web;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads a submitted console form field by field, collecting one message per bad field instead of stopping
 * at the first, so the form comes back with every problem marked next to its input.
 */
final class FormInput {
    private final Map<String, String> values;
    final Map<String, String> errors = new LinkedHashMap<>();

    FormInput(Map<String, String> values) {
        this.values = values;
    }

    String text(String field) {
        String v = values.get(field);
        return v == null || v.isBlank() ? null : v.trim();
    }

    String required(String field, String label) {
        String v = text(field);
        if (v == null) {
            errors.put(field, label + " is required.");
        }
        return v;
    }

    Long wholeNumber(String field, String label, boolean required) {
        String v = required ? required(field, label) : text(field);
        if (v == null) {
            return null;
        }
        try {
            long n = Long.parseLong(v.replace(",", "").replace("_", ""));
            if (n < 0) {
                errors.put(field, label + " cannot be negative.");
                return null;
            }
            return n;
        } catch (NumberFormatException e) {
            errors.put(field, label + " must be a whole number, was '" + v + "'.");
            return null;
        }
    }

    /** A decimal number, exact (BigDecimal), not negative. */
    BigDecimal decimal(String field, String label, boolean required) {
        String v = required ? required(field, label) : text(field);
        if (v == null) {
            return null;
        }
        try {
            BigDecimal d = new BigDecimal(v.replace(",", "").replace("$", ""));
            if (d.signum() < 0) {
                errors.put(field, label + " cannot be negative.");
                return null;
            }
            return d;
        } catch (NumberFormatException e) {
            errors.put(field, label + " must be a number, was '" + v + "'.");
            return null;
        }
    }

    /** An amount of money in currency units (e.g. "2800.00") as exact micro-units; more than 6 decimals is refused. */
    Long money(String field, String label, boolean required) {
        BigDecimal d = decimal(field, label, required);
        if (d == null) {
            return null;
        }
        try {
            return d.movePointRight(6).longValueExact();
        } catch (ArithmeticException e) {
            errors.put(field, label + " has more than 6 decimals or is too large.");
            return null;
        }
    }

    /** A UTC time from a date ("2026-11-01") or a date-time ("2026-11-01T08:30"); null when blank and optional. */
    Instant utcTime(String field, String label, boolean required) {
        String v = required ? required(field, label) : text(field);
        if (v == null) {
            return null;
        }
        try {
            if (v.length() <= 10) {
                return LocalDate.parse(v).atStartOfDay(ZoneOffset.UTC).toInstant();
            }
            return LocalDateTime.parse(v.endsWith("Z") ? v.substring(0, v.length() - 1) : v).toInstant(ZoneOffset.UTC);
        } catch (DateTimeParseException e) {
            errors.put(field, label + " must be a date (YYYY-MM-DD) or date and time (YYYY-MM-DDTHH:MM), UTC; was '"
                    + v + "'.");
            return null;
        }
    }

    boolean ok() {
        return errors.isEmpty();
    }
}
