package io.maas.console.web;

import java.math.BigDecimal;
import java.text.NumberFormat;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Currency;
import java.util.Locale;

import io.quarkus.qute.TemplateExtension;

/**
 * How the console writes numbers, in templates as {@code {fmt:money(x)}}: money from integer micro-units or
 * minor units, exactly (BigDecimal, never double), with the currency's symbol; token counts with grouping.
 */
@TemplateExtension(namespace = "fmt")
public final class ConsoleFormat {
    /** The platform's one currency (ADR 0006). */
    public static final String DEFAULT_CURRENCY = "USD";
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'")
            .withZone(ZoneOffset.UTC);

    private ConsoleFormat() {
    }

    /** Micro-units as money: 1234500000 → "$1,234.50"; sub-cent amounts keep their digits: 1500 → "$0.0015". */
    public static String money(long micros) {
        return money(micros, DEFAULT_CURRENCY);
    }

    public static String money(long micros, String currency) {
        return format(BigDecimal.valueOf(micros, 6), currency);
    }

    /** Minor units (cents) as money: 535000 → "$5,350.00". */
    public static String minor(long minor, String currency) {
        Currency c = Currency.getInstance(currency);
        return format(BigDecimal.valueOf(minor, c.getDefaultFractionDigits()), currency);
    }

    /**
     * A price per token in micro-units, shown per million tokens: µ$ per token × 10⁶ tokens / 10⁶ µ$ per $ is the
     * same number in $ per 1M tokens, so 0.12 µ$/token → "$0.12 / 1M tokens", exactly.
     */
    public static String perMillion(BigDecimal microsPerToken) {
        return format(microsPerToken, DEFAULT_CURRENCY) + " / 1M tokens";
    }

    private static String format(BigDecimal amount, String currency) {
        Currency c = Currency.getInstance(currency);
        NumberFormat f = NumberFormat.getCurrencyInstance(Locale.US);
        f.setCurrency(c);
        f.setMinimumFractionDigits(c.getDefaultFractionDigits());
        f.setMaximumFractionDigits(Math.max(c.getDefaultFractionDigits(), amount.stripTrailingZeros().scale()));
        // Format.format(Object) formats a BigDecimal exactly; no rounding, as enough fraction digits are allowed.
        return f.format(amount);
    }

    /** A count with grouping: 1234567 → "1,234,567". */
    public static String num(long value) {
        return NumberFormat.getIntegerInstance(Locale.US).format(value);
    }

    /** A percentage of a whole, 0 when the whole is 0: (25, 200) → "12.5 %". */
    public static String pct(long part, long whole) {
        if (whole == 0) {
            return "0 %";
        }
        return BigDecimal.valueOf(part * 1000 / whole, 1).stripTrailingZeros().toPlainString() + " %";
    }

    public static String time(Instant at) {
        return at == null ? "" : TIME.format(at);
    }
}
