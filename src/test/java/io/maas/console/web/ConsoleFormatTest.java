package io.maas.console.web;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigDecimal;

import org.junit.jupiter.api.Test;

/** Money is formatted exactly from integer micro-units or minor units, with the currency. */
class ConsoleFormatTest {

    @Test
    void microsAreFormattedExactlyWithTheCurrencySymbol() {
        assertEquals("$2,800.00", ConsoleFormat.money(2_800_000_000L));
        assertEquals("$0.0015", ConsoleFormat.money(1_500));
        assertEquals("$0.000001", ConsoleFormat.money(1));
        assertEquals("$0.00", ConsoleFormat.money(0));
        assertEquals("-$1.50", ConsoleFormat.money(-1_500_000));
        // Beyond what a double holds exactly: 2^53 + 1 micros.
        assertEquals("$9,007,199,254.740993", ConsoleFormat.money(9_007_199_254_740_993L));
        assertEquals("€12.34", ConsoleFormat.money(12_340_000, "EUR"));
    }

    @Test
    void minorUnitsFollowTheCurrencysDigits() {
        assertEquals("$5,350.00", ConsoleFormat.minor(535_000, "USD"));
        assertEquals("¥535", ConsoleFormat.minor(535, "JPY"));
    }

    @Test
    void pricesPerTokenAreShownPerMillionTokensWithoutConversionError() {
        assertEquals("$0.12 / 1M tokens", ConsoleFormat.perMillion(new BigDecimal("0.12")));
        assertEquals("$85.00 / 1M tokens", ConsoleFormat.perMillion(new BigDecimal("85")));
        assertEquals("$0.0001234 / 1M tokens", ConsoleFormat.perMillion(new BigDecimal("0.0001234")));
    }

    @Test
    void countsAndShares() {
        assertEquals("1,234,567", ConsoleFormat.num(1_234_567));
        assertEquals("12.5 %", ConsoleFormat.pct(25, 200));
        assertEquals("0 %", ConsoleFormat.pct(5, 0));
        assertEquals("100 %", ConsoleFormat.pct(120, 120));
    }
}
