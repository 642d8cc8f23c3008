package io.maas.billing.budget;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.sql.Connection;
import java.time.Instant;
import java.time.YearMonth;
import java.util.Currency;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.maas.billing.BillingException;
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

/** Budget alerts are raised once per threshold and period as usage is posted; the hard limit follows the budget. */
class BudgetRepositoryTest {
    private static final BillingPeriod NOV = BillingPeriod.of(YearMonth.of(2026, 11));
    private static final Instant T = Instant.parse("2026-11-10T00:00:00Z");
    private static BillingDatabase db;

    @BeforeAll
    static void start() throws Exception {
        db = BillingDatabase.start();
        try (Connection c = db.connect()) {
            // 1 µ per token in and out: an event of n tokens costs n µ.
            PriceBookRepository.insert(c, PriceEntry.flat(ModelRef.base("bud-model"), Instant.parse("2026-01-01T00:00:00Z"),
                    BigDecimal.ONE, BigDecimal.ONE));
            c.commit();
        }
    }

    @AfterAll
    static void stop() throws Exception {
        db.close();
    }

    private static UsageEvent usage(String tenant, int tokens) {
        return UsageEvent.of(UUID.randomUUID(), "/test", T, new UsageData(tenant, null, "bud-model", null, null, tokens, 0,
                UsageStatus.COMPLETED, "stop", null, 5L, null));
    }

    private static void budget(Budget b) throws Exception {
        try (Connection c = db.connect()) {
            BudgetRepository.upsert(c, b);
            c.commit();
        }
    }

    private static List<Integer> alertedPct(String tenant) throws Exception {
        try (Connection c = db.connect()) {
            return BudgetRepository.alerts(c, tenant, 100).stream().map(BudgetRepository.Alert::thresholdPct).sorted()
                    .toList();
        }
    }

    @Test
    void alertsAreRaisedOnceEachAsUsageCrossesTheThresholds() throws Exception {
        budget(new Budget("bud-a", 100_000, List.of(50, 80, 100), false));
        db.deliver(List.of(usage("bud-a", 49_999)));
        assertEquals(List.of(), alertedPct("bud-a"));
        db.deliver(List.of(usage("bud-a", 1)));            // 50,000 µ = 50 % exactly
        assertEquals(List.of(50), alertedPct("bud-a"));
        db.deliver(List.of(usage("bud-a", 40_000)));       // 90,000 µ
        assertEquals(List.of(50, 80), alertedPct("bud-a"));
        db.deliver(List.of(usage("bud-a", 20_000), usage("bud-a", 1))); // 110,001 µ
        assertEquals(List.of(50, 80, 100), alertedPct("bud-a"));
        try (Connection c = db.connect()) {
            assertEquals(110_001, BudgetRepository.monthToDateMicros(c, "bud-a", NOV));
            assertFalse(BudgetRepository.isOverHardLimit(c, "bud-a", NOV), "no hard limit: alerts only");
        }
    }

    @Test
    void theHardLimitCountsUsageAndTheMonthsReservationFees() throws Exception {
        try (Connection c = db.connect()) {
            ReservationRepository.insert(c, new Reservation("bud-r", "bud-h", ReservationScope.baseModel("other"),
                    Currency.getInstance("USD"), 600_000, 1_000, BigDecimal.ONE, Instant.parse("2026-11-01T00:00:00Z"), null));
            c.commit();
        }
        budget(new Budget("bud-h", 1_000_000, List.of(), true));
        try (Connection c = db.connect()) {
            assertFalse(BudgetRepository.isOverHardLimit(c, "bud-h", NOV));
        }
        db.deliver(List.of(usage("bud-h", 400_000)));    // 600,000 fee + 400,000 usage = the budget
        try (Connection c = db.connect()) {
            assertTrue(BudgetRepository.isOverHardLimit(c, "bud-h", NOV));
            assertFalse(BudgetRepository.isOverHardLimit(c, "bud-h", BillingPeriod.of(YearMonth.of(2027, 1))),
                    "a new month starts from its own charges");
        }
    }

    @Test
    void aBudgetMustBePositiveWithSaneThresholds() {
        assertThrows(BillingException.class, () -> new Budget("x", 0, List.of(50), false));
        assertThrows(BillingException.class, () -> new Budget("x", 1, List.of(0), false));
        assertThrows(BillingException.class, () -> new Budget(" ", 1, List.of(), false));
    }
}
