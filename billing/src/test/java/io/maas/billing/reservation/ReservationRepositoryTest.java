package io.maas.billing.reservation;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigDecimal;
import java.sql.Connection;
import java.time.Instant;
import java.time.YearMonth;
import java.util.Currency;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.maas.billing.rating.BillingPeriod;
import io.maas.billing.rating.ModelRef;
import io.maas.billing.rating.Reservation;
import io.maas.billing.rating.ReservationScope;
import io.maas.billing.testing.BillingDatabase;

/** Reservations of every scope round-trip; allowance rows are created at 0, locked, and saved per period. */
class ReservationRepositoryTest {
    private static final Currency USD = Currency.getInstance("USD");
    private static BillingDatabase db;

    @BeforeAll
    static void start() throws Exception {
        db = BillingDatabase.start();
    }

    @AfterAll
    static void stop() throws Exception {
        db.close();
    }

    private static Reservation reservation(String id, ReservationScope scope, String start) {
        return new Reservation(id, "rr-tenant", scope, USD, 2_800_000_000L, 120_000_000L, new BigDecimal("85"),
                Instant.parse(start), null);
    }

    @Test
    void everyScopeRoundTripsAndCancellingSetsTheEnd() throws Exception {
        Reservation all = reservation("rr-all", ReservationScope.everything(), "2026-10-01T00:00:00Z");
        Reservation base = reservation("rr-base", ReservationScope.baseModel("llama"), "2026-10-05T00:00:00Z");
        Reservation adapters = reservation("rr-sql", ReservationScope.adapters(Set.of(ModelRef.adapter("llama", "sql"),
                ModelRef.adapter("llama", "legal"))), "2026-10-06T00:00:00Z");
        try (Connection c = db.connect()) {
            ReservationRepository.insert(c, all);
            ReservationRepository.insert(c, base);
            ReservationRepository.insert(c, adapters);
            ReservationRepository.setEnd(c, "rr-base", Instant.parse("2026-11-20T00:00:00Z"), Instant.parse("2026-11-19T00:00:00Z"));
            c.commit();
            assertEquals(List.of(all, base.endingAt(Instant.parse("2026-11-20T00:00:00Z")), adapters),
                    ReservationRepository.list(c, "rr-tenant"));
            // rr-base ended on Nov 20: it does not reach into December.
            assertEquals(List.of(all, adapters),
                    ReservationRepository.overlapping(c, "rr-tenant", BillingPeriod.of(YearMonth.of(2026, 12))));
        }
    }

    @Test
    void allowanceUsageIsPerPeriodAndStartsAtZero() throws Exception {
        try (Connection c = db.connect()) {
            ReservationRepository.insert(c, reservation("rr-usage", ReservationScope.everything(), "2026-10-01T00:00:00Z"));
            BillingPeriod nov = BillingPeriod.of(YearMonth.of(2026, 11));
            assertEquals(Map.of("rr-usage", 0L), ReservationRepository.lockAllowanceUsage(c, List.of("rr-usage"), nov));
            ReservationRepository.saveAllowanceUsage(c, "rr-usage", nov, 1_000);
            c.commit();
            assertEquals(Map.of("rr-usage", 1_000L), ReservationRepository.lockAllowanceUsage(c, List.of("rr-usage"), nov));
            assertEquals(Map.of("rr-usage", 0L), ReservationRepository.lockAllowanceUsage(c, List.of("rr-usage"),
                    BillingPeriod.of(YearMonth.of(2026, 12))));
            c.commit();
        }
    }
}
