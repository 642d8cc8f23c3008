package io.maas.billing.rating;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Currency;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.maas.billing.metering.UsageStatus;

/**
 * Bench (not a test): events/s rated by the pure core on one thread, applying each allowance draw as the consumer
 * does, against the goal of 1,000,000 events/s. Run with {@code ./maas bench}; skipped otherwise.
 */
class RaterBenchmark {
    private static final int EVENTS = Integer.getInteger("bench.events", 1_000_000);
    private static final long GOAL_EVENTS_PER_S = 1_000_000;

    @Test
    void ratingThroughput() {
        assumeTrue(Boolean.getBoolean("benchmarks"), "benchmarks run only with -Dbenchmarks=true");
        Currency usd = Currency.getInstance("USD");
        Instant from = Instant.parse("2026-01-01T00:00:00Z");
        ModelRef llama = ModelRef.base("llama");
        ModelRef mistral = ModelRef.base("mistral");
        ModelRef sql = ModelRef.adapter("llama", "sql");
        ModelRef legal = ModelRef.adapter("llama", "legal");
        PriceBook book = new PriceBook(usd, List.of(
                new PriceEntry(llama, from, ChargeModelType.GRADUATED_TIERED, List.of(
                        PriceTier.upTo(512, new BigDecimal("0.12"), new BigDecimal("0.24")),
                        PriceTier.unbounded(new BigDecimal("0.10"), new BigDecimal("0.20")))),
                new PriceEntry(mistral, from, ChargeModelType.PER_REQUEST_TIERED, List.of(
                        PriceTier.upTo(1024, new BigDecimal("0.15"), new BigDecimal("0.60")),
                        PriceTier.unbounded(new BigDecimal("0.12"), new BigDecimal("0.50")))),
                PriceEntry.flat(legal, from, new BigDecimal("0.5"), new BigDecimal("1.5"))));
        MarketplaceShare shares = new MarketplaceShare(7000, Map.of(legal, 6000));
        BillingPeriod nov = BillingPeriod.of(java.time.YearMonth.of(2026, 11));
        Reservation reservation = new Reservation("r-sql", "acme", ReservationScope.adapters(Set.of(sql)), usd,
                2_800_000_000L, 120_000_000L, new BigDecimal("85"), from, null);

        Random random = new Random(11);
        ModelRef[] models = {llama, mistral, sql, legal};
        List<Usage> usages = new ArrayList<>(EVENTS);
        for (int i = 0; i < EVENTS; i++) {
            ModelRef m = models[random.nextInt(models.length)];
            usages.add(new Usage(UUID.randomUUID(), nov.start().plusSeconds(random.nextInt((int) nov.seconds())), "acme",
                    m, m.isAdapter() ? "p1" : null, 1 + random.nextInt(2000), 1 + random.nextInt(800),
                    UsageStatus.COMPLETED));
        }
        rate(usages.subList(0, Math.min(200_000, EVENTS)), book, shares, reservation, nov); // warm-up
        // CPU time of this thread besides wall time: on a shared, overloaded host the thread is often off-CPU,
        // and events per CPU-second is the figure that compares runs.
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        long cpuStarted = threads.getCurrentThreadCpuTime();
        long started = System.nanoTime();
        long total = rate(usages, book, shares, reservation, nov);
        double perSecond = EVENTS / ((System.nanoTime() - started) / 1e9);
        double perCpuSecond = EVENTS / ((threads.getCurrentThreadCpuTime() - cpuStarted) / 1e9);
        System.out.printf("%nRating bench: %d usages (graduated, per-request, flat, adapter reservation), 1 thread, "
                + "%d cores, Java %s; total %d µ%n", EVENTS, Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.version"), total);
        System.out.println("command: ./maas bench   (billing: RaterBenchmark)");
        System.out.printf("| events/s (wall) | events per CPU-second | goal | ratio (CPU) |%n|---|---|---|---|%n"
                + "| %,.0f | %,.0f | %,d | %.2f |%n", perSecond, perCpuSecond, GOAL_EVENTS_PER_S,
                perCpuSecond / GOAL_EVENTS_PER_S);
    }

    private static long rate(List<Usage> usages, PriceBook book, MarketplaceShare shares, Reservation reservation,
            BillingPeriod period) {
        ReservationState state = ReservationState.fresh(reservation, period);
        long total = 0;
        for (Usage usage : usages) {
            RatingResult result = Rater.rate(new RatingInput(usage, book, List.of(state), shares));
            if (result.allowanceDraw().isPresent()) {
                state = state.after(result.allowanceDraw().get());
            }
            total += result.totalMicros();
        }
        return total;
    }
}
