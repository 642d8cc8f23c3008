package io.maas.billing.rating;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Currency;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

class InvoiceRoundingTest {
    private static final Currency USD = Currency.getInstance("USD");

    @Test
    void microsRoundToCentsHalfToEven() {
        assertEquals(191_333, InvoiceRounding.toCents(1_913_333_333L), "$1,913.333333 -> $1,913.33");
        assertEquals(4, InvoiceRounding.toCents(42_500), "4.25 cents -> 4");
        assertEquals(2, InvoiceRounding.toCents(15_000), "1.5 cents -> 2");
        assertEquals(2, InvoiceRounding.toCents(25_000), "2.5 cents -> 2");
        assertEquals(4, InvoiceRounding.toCents(35_000), "3.5 cents -> 4");
        assertEquals(3, InvoiceRounding.toCents(25_001), "just above 2.5 rounds up");
        assertEquals(-2, InvoiceRounding.toCents(-25_000), "a credit rounds the same way");
    }

    @Test
    void otherCurrenciesRoundToTheirOwnMinorUnit() {
        assertEquals(2, InvoiceRounding.toMinorUnits(Currency.getInstance("JPY"), 2_500_000), "2.5 yen -> 2");
        assertEquals(1_234, InvoiceRounding.toMinorUnits(Currency.getInstance("BHD"), 1_234_500), "1,234.5 fils -> 1,234");
        assertThrows(InvalidRatingInputException.class, () -> InvoiceRounding.toMinorUnits(Currency.getInstance("XXX"), 1));
        assertThrows(InvalidRatingInputException.class, () -> InvoiceRounding.toMinorUnits(null, 1));
    }

    @Test
    void invoiceLinesSumExactlyToTotal() {
        // Three lines of 0.5 cents: each rounds to 0, so the total is 0 cents, not the 1.5 -> 2 of the exact sum.
        InvoiceRounding.RoundedInvoice halves = InvoiceRounding.round(USD, List.of(5_000L, 5_000L, 5_000L));
        assertEquals(List.of(0L, 0L, 0L), halves.linesMinor());
        assertEquals(0, halves.totalMinor());
        InvoiceRounding.RoundedInvoice invoice = InvoiceRounding.round(USD, List.of(1_913_333_333L, 42_500L, 15_000L));
        assertEquals(List.of(191_333L, 4L, 2L), invoice.linesMinor());
        assertEquals(191_339, invoice.totalMinor());
        Random random = new Random(7);
        for (int i = 0; i < 1_000; i++) {
            List<Long> lines = new ArrayList<>();
            for (int j = random.nextInt(20); j > 0; j--) {
                lines.add(random.nextLong() % 10_000_000_000L);
            }
            InvoiceRounding.RoundedInvoice rounded = InvoiceRounding.round(USD, lines);
            assertEquals(rounded.linesMinor().stream().mapToLong(Long::longValue).sum(), rounded.totalMinor());
            assertEquals(lines.size(), rounded.linesMinor().size());
        }
    }

    @Test
    void theSumOfRoundedLinesMayDifferFromTheRoundedSumAndThatIsTheRule() {
        List<Long> lines = List.of(5_000L, 5_000L, 5_000L);
        long roundedExactTotal = InvoiceRounding.toCents(lines.stream().mapToLong(Long::longValue).sum());
        assertNotEquals(roundedExactTotal, InvoiceRounding.round(USD, lines).totalMinor());
    }

    @Test
    void aTotalThatIsNotTheSumOfTheLinesIsRefused() {
        assertThrows(InvalidRatingInputException.class, () -> new InvoiceRounding.RoundedInvoice(USD, List.of(1L, 2L), 4));
        assertThrows(InvalidRatingInputException.class, () -> new InvoiceRounding.RoundedInvoice(null, List.of(), 0));
        assertThrows(InvalidRatingInputException.class, () -> InvoiceRounding.round(USD, null));
        assertThrows(InvalidRatingInputException.class, () -> InvoiceRounding.round(USD, new ArrayList<>(Arrays.asList(1L, null))));
    }
}
