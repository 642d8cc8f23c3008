package io.maas.billing.reporting;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigDecimal;
import java.sql.Connection;
import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;
import java.util.ArrayList;
import java.util.Currency;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.maas.billing.metering.UsageData;
import io.maas.billing.metering.UsageEvent;
import io.maas.billing.metering.UsageStatus;
import io.maas.billing.pricebook.PriceBookRepository;
import io.maas.billing.rating.BillingPeriod;
import io.maas.billing.rating.ModelRef;
import io.maas.billing.rating.PriceEntry;
import io.maas.billing.rating.Reservation;
import io.maas.billing.rating.ReservationScope;
import io.maas.billing.reservation.ReservationRepository;
import io.maas.billing.testing.BillingDatabase;

/**
 * The console's aggregates over events delivered as the consumer delivers them (stored, rolled up, rated and
 * posted) on a real PostgreSQL: every figure is checked against the rating done by hand.
 */
class UsageReportsTest {
    private static final Instant NOV_10 = Instant.parse("2026-11-10T10:00:00Z");
    private static final Instant NOV_11 = Instant.parse("2026-11-11T10:00:00Z");
    private static final Instant FROM = Instant.parse("2026-11-10T00:00:00Z");
    private static final Instant TO = Instant.parse("2026-11-12T00:00:00Z");
    private static BillingDatabase db;
    private static UsageReports reports;

    @BeforeAll
    static void deliverAMixOfUsage() throws Exception {
        db = BillingDatabase.start();
        reports = new UsageReports();
        reports.dataSource = db.dataSource();
        try (Connection c = db.connect()) {
            Instant from = Instant.parse("2026-11-01T00:00:00Z");
            // Base: 1 µ$ per input token, 2 per output token; the adapter: 10 and 10 (provider share 70 %).
            PriceBookRepository.insert(c, PriceEntry.flat(ModelRef.base("rep-base"), from, BigDecimal.ONE,
                    BigDecimal.valueOf(2)));
            PriceBookRepository.insert(c, PriceEntry.flat(ModelRef.adapter("rep-base", "rep-ad"), from, BigDecimal.TEN,
                    BigDecimal.TEN));
            // rep-c holds 1,000 tokens a month, overage 5 µ$ per token.
            ReservationRepository.insert(c, new Reservation("rep-r", "rep-c", ReservationScope.everything(),
                    Currency.getInstance("USD"), 0, 1_000, BigDecimal.valueOf(5), from, null));
            c.commit();
        }
        List<UsageEvent> events = new ArrayList<>();
        events.add(usage("rep-a", null, null, 100, 50, NOV_10));             // 100 + 100 = 200 µ$
        events.add(usage("rep-a", null, null, 100, 50, NOV_10.plusSeconds(1))); // 200 µ$
        events.add(usage("rep-a", "rep-ad", "prov", 10, 10, NOV_10));        // 200 µ$, platform 60
        events.add(usage("rep-b", "rep-ad", "prov", 100, 100, NOV_10));      // 2,000 µ$, platform 600
        events.add(usage("rep-c", null, null, 300, 300, NOV_10));            // 600 included
        db.deliver(events);
        db.deliver(List.of(usage("rep-c", null, null, 300, 300, NOV_11)));  // 400 included + 200 × 5 = 1,000 µ$
    }

    @AfterAll
    static void stop() throws Exception {
        db.close();
    }

    private static UsageEvent usage(String tenant, String adapter, String provider, int prompt, int completion,
            Instant time) {
        return UsageEvent.of(UUID.randomUUID(), "/test", time, new UsageData(tenant, null, "rep-base", adapter, provider,
                prompt, completion, UsageStatus.COMPLETED, "stop", null, 5L, null));
    }

    @Test
    void totalsCountRollupsAndSumTheLedger() {
        UsageReports.Totals t = reports.totals(FROM, TO);
        assertEquals(6, t.requests());
        assertEquals(300 + 20 + 200 + 1_200, t.tokens());
        assertEquals(400 + 200 + 2_000 + 1_000, t.chargedMicros());
        assertEquals(400 + 60 + 600 + 1_000, t.platformMicros());
        UsageReports.Totals nov11 = reports.totals(Instant.parse("2026-11-11T00:00:00Z"), TO);
        assertEquals(1, nov11.requests());
        assertEquals(1_000, nov11.chargedMicros());
    }

    @Test
    void tenantsAreRankedByWhatTheyWereCharged() {
        List<UsageReports.Ranked> top = reports.topTenants(FROM, TO, 10);
        assertEquals(List.of("rep-b", "rep-c", "rep-a"), top.stream().map(UsageReports.Ranked::key).toList());
        assertEquals(List.of(2_000L, 1_000L, 600L), top.stream().map(UsageReports.Ranked::chargedMicros).toList());
        assertEquals(List.of(200L, 1_200L, 320L), top.stream().map(UsageReports.Ranked::tokens).toList());
        assertEquals(2, reports.topTenants(FROM, TO, 2).size());
    }

    @Test
    void adaptersShowHowManyDistinctTenantsUseThem() {
        List<UsageReports.Ranked> adapters = reports.models(FROM, TO, null, true, 10);
        assertEquals(1, adapters.size());
        UsageReports.Ranked ad = adapters.get(0);
        assertEquals("rep-base:rep-ad", ad.key());
        assertEquals("rep-ad", ad.adapter());
        assertEquals(2, ad.tenants());
        assertEquals(220, ad.tokens());
        assertEquals(2_200, ad.chargedMicros());

        List<UsageReports.Ranked> ofA = reports.models(FROM, TO, "rep-a", false, 10);
        assertEquals(List.of("rep-base", "rep-base:rep-ad"), ofA.stream().map(UsageReports.Ranked::key).toList());
        assertEquals(List.of(400L, 200L), ofA.stream().map(UsageReports.Ranked::chargedMicros).toList());
    }

    @Test
    void dailyTokensComeFromTheDailyRollups() {
        List<UsageReports.DailyTokens> all = reports.daily(null, LocalDate.of(2026, 11, 10), LocalDate.of(2026, 11, 12));
        assertEquals(List.of(
                new UsageReports.DailyTokens(LocalDate.of(2026, 11, 10), "rep-base", 3, 900),
                new UsageReports.DailyTokens(LocalDate.of(2026, 11, 10), "rep-base:rep-ad", 2, 220),
                new UsageReports.DailyTokens(LocalDate.of(2026, 11, 11), "rep-base", 1, 600)), all);
        assertEquals(1, reports.daily("rep-c", LocalDate.of(2026, 11, 11), LocalDate.of(2026, 11, 12)).size());
    }

    @Test
    void theBurnDownDrawsAreTheIncludedTokensPerDay() {
        assertEquals(List.of(new UsageReports.DailyDraw(LocalDate.of(2026, 11, 10), 600),
                new UsageReports.DailyDraw(LocalDate.of(2026, 11, 11), 400)),
                reports.allowanceDraws("rep-r", BillingPeriod.of(YearMonth.of(2026, 11))));
        assertEquals(List.of(), reports.allowanceDraws("rep-r", BillingPeriod.of(YearMonth.of(2026, 10))));
    }
}
