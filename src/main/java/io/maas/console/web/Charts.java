package io.maas.console.web;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.maas.billing.reporting.UsageReports;

/**
 * Chart descriptions the page's script hands to Chart.js, as JSON placed in a {@code <script type="application/json">}
 * element (no inline script, so the Content-Security-Policy can forbid it). Each dataset carries its values and,
 * for money, the exact formatted text shown in tooltips, so no amount is ever rounded through a double for reading.
 */
public final class Charts {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Charts() {
    }

    /** One series. {@code labels} (optional) are the exact texts shown for each value. */
    public record Dataset(String label, List<? extends Number> data, List<String> labels, String type) {
    }

    /** A chart: type (bar, line, doughnut), x labels, series, whether bars stack, the unit named on the axis. */
    public record Chart(String type, List<String> labels, List<Dataset> datasets, boolean stacked, String unit,
            boolean horizontal) {
    }

    /** JSON safe to embed in HTML: '<', '>' and '&' are escaped so no value can close the script element. */
    public static String json(Object value) {
        try {
            return JSON.writeValueAsString(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026");
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Tokens per day of {@code [from, to)}, one stacked series per model. */
    public static Chart dailyTokens(List<UsageReports.DailyTokens> rows, LocalDate from, LocalDate to) {
        List<String> days = new ArrayList<>();
        for (LocalDate d = from; d.isBefore(to); d = d.plusDays(1)) {
            days.add(d.toString());
        }
        Map<String, long[]> byModel = new TreeMap<>();
        for (UsageReports.DailyTokens r : rows) {
            int i = days.indexOf(r.day().toString());
            if (i >= 0) {
                byModel.computeIfAbsent(r.model(), m -> new long[days.size()])[i] += r.tokens();
            }
        }
        List<Dataset> sets = new ArrayList<>();
        byModel.forEach((model, values) -> sets.add(new Dataset(model, boxed(values), null, null)));
        return new Chart("bar", days, sets, true, "tokens", false);
    }

    /** A ranking as horizontal bars of money: label → micros, tooltips with the exact amount. */
    public static Chart moneyBars(String series, Map<String, Long> micros) {
        List<String> labels = new ArrayList<>(micros.keySet());
        List<BigDecimal> values = new ArrayList<>();
        List<String> texts = new ArrayList<>();
        for (long m : micros.values()) {
            values.add(BigDecimal.valueOf(m, 6));
            texts.add(ConsoleFormat.money(m));
        }
        return new Chart("bar", labels, List.of(new Dataset(series, values, texts, null)), false, "USD", true);
    }

    /** A ranking as bars of counts. */
    public static Chart countBars(String series, Map<String, Long> counts, String unit) {
        return new Chart("bar", new ArrayList<>(counts.keySet()),
                List.of(new Dataset(series, new ArrayList<>(counts.values()), null, null)), false, unit, true);
    }

    /**
     * A reservation's burn-down over its period: the allowance left at the end of each day so far, against a
     * straight line from the full allowance to zero (even use).
     */
    public static Chart burnDown(long allowanceTokens, List<UsageReports.DailyDraw> draws, LocalDate first,
            LocalDate endExclusive, LocalDate today) {
        Map<LocalDate, Long> drawn = new LinkedHashMap<>();
        draws.forEach(d -> drawn.merge(d.day(), d.tokens(), Long::sum));
        List<String> days = new ArrayList<>();
        List<Long> left = new ArrayList<>();
        List<Long> ideal = new ArrayList<>();
        long total = endExclusive.toEpochDay() - first.toEpochDay();
        long remaining = allowanceTokens;
        int i = 0;
        for (LocalDate d = first; d.isBefore(endExclusive); d = d.plusDays(1), i++) {
            days.add(d.toString());
            ideal.add(allowanceTokens - allowanceTokens * (i + 1) / Math.max(1, total));
            if (!d.isAfter(today)) {
                remaining = Math.max(0, remaining - drawn.getOrDefault(d, 0L));
                left.add(remaining);
            }
        }
        return new Chart("line", days, List.of(new Dataset("allowance left", left, null, null),
                new Dataset("even use", ideal, null, "dashed")), false, "tokens", false);
    }

    /** Labels in first-seen order. */
    static Set<String> keys(List<UsageReports.Ranked> rows) {
        Set<String> out = new LinkedHashSet<>();
        rows.forEach(r -> out.add(r.key()));
        return out;
    }

    private static List<Long> boxed(long[] values) {
        List<Long> out = new ArrayList<>(values.length);
        for (long v : values) {
            out.add(v);
        }
        return out;
    }
}
