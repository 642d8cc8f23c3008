package io.maas.billing.rating;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Currency;
import java.util.List;

/**
 * From micros to what an invoice shows: each line rounded half-even to the currency's minor unit (cents for
 * USD) once, and the total as the sum of the rounded lines, so the printed lines always add up to the printed
 * total. Rounding the exact total instead could differ from that sum by a cent per few lines.
 */
public final class InvoiceRounding {
    private InvoiceRounding() {
    }

    /** One line in micros to minor units; negative amounts (credits, adjustments) round symmetrically. */
    public static long toMinorUnits(Currency currency, long amountMicros) {
        int digits = Check.notNull(currency, "currency").getDefaultFractionDigits();
        // Pseudo-currencies (gold, XXX) define no minor unit: there is nothing to round to.
        Check.that(digits >= 0, currency + " has no minor unit to round to");
        return BigDecimal.valueOf(amountMicros).movePointLeft(6 - digits).setScale(0, Money.ROUNDING).longValueExact();
    }

    /** USD and the other two-decimal currencies: micros to cents. */
    public static long toCents(long amountMicros) {
        return toMinorUnits(Currency.getInstance("USD"), amountMicros);
    }

    public static RoundedInvoice round(Currency currency, List<Long> lineAmountsMicros) {
        Check.notNull(lineAmountsMicros, "lineAmountsMicros");
        List<Long> linesMinor = new ArrayList<>(lineAmountsMicros.size());
        long totalMinor = 0;
        for (Long amountMicros : lineAmountsMicros) {
            long lineMinor = toMinorUnits(currency, Check.notNull(amountMicros, "line amount"));
            linesMinor.add(lineMinor);
            totalMinor = Math.addExact(totalMinor, lineMinor);
        }
        return new RoundedInvoice(currency, linesMinor, totalMinor);
    }

    /** Lines and total of an invoice in minor units; the total is the sum of the lines by construction. */
    public record RoundedInvoice(Currency currency, List<Long> linesMinor, long totalMinor) {
        public RoundedInvoice {
            Check.notNull(currency, "currency");
            linesMinor = List.copyOf(Check.notNull(linesMinor, "linesMinor"));
            Check.that(linesMinor.stream().mapToLong(Long::longValue).reduce(0, Math::addExact) == totalMinor,
                    "invoice lines " + linesMinor + " do not add up to the total " + totalMinor);
        }
    }
}
