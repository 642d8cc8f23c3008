package io.maas.billing.payout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.sql.Connection;
import java.time.Instant;
import java.time.YearMonth;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.maas.billing.BillingException;
import io.maas.billing.invoice.ProviderStatements;
import io.maas.billing.metering.UsageData;
import io.maas.billing.metering.UsageEvent;
import io.maas.billing.metering.UsageStatus;
import io.maas.billing.pricebook.PriceBookRepository;
import io.maas.billing.rating.BillingPeriod;
import io.maas.billing.rating.ModelRef;
import io.maas.billing.rating.PriceEntry;
import io.maas.billing.testing.BillingDatabase;

/**
 * Provider payouts on PostgreSQL: a payout is a balanced ledger transaction from the provider's payable to platform
 * cash, idempotent by the client's id, never more than the period's payable balance (also when two are made at
 * once), and it shows on the provider's statement.
 */
class PayoutsTest {
    private static final BillingPeriod OCT = BillingPeriod.of(YearMonth.of(2026, 10));
    private static final Instant NOW = Instant.parse("2026-11-02T00:00:00Z");
    private static BillingDatabase db;

    @BeforeAll
    static void start() throws Exception {
        db = BillingDatabase.start();
        try (Connection c = db.connect()) {
            // 1,000 µ per token; the default provider share is 70 %.
            PriceBookRepository.insert(c, PriceEntry.flat(ModelRef.base("pay-base"), Instant.parse("2026-01-01T00:00:00Z"),
                    new BigDecimal("1000"), new BigDecimal("1000")));
            c.commit();
        }
    }

    @AfterAll
    static void stop() throws Exception {
        db.close();
    }

    /** For every period, debits = credits. */
    @AfterEach
    void everyPeriodBalances() throws Exception {
        assertEquals(0, db.scalar("""
                select count(*) from (select t.period_start from ledger_entries e
                join ledger_transactions t on t.id = e.transaction_id group by t.period_start
                having sum(e.debit_micros) <> sum(e.credit_micros)) unbalanced"""));
    }

    /** {@code requests} requests of 100 tokens on the provider's adapter in October: 100,000 µ each, 70,000 µ earned. */
    private static void earn(String provider, int requests) throws Exception {
        List<UsageEvent> events = new ArrayList<>();
        for (int i = 0; i < requests; i++) {
            events.add(UsageEvent.of(UUID.randomUUID(), "/test", Instant.parse("2026-10-10T00:00:00Z").plusSeconds(i),
                    new UsageData("pay-tenant", null, "pay-base", provider + "-adapter", provider, 60, 40,
                            UsageStatus.COMPLETED, "stop", null, 5L, null)));
        }
        db.deliver(events);
    }

    private static Payouts.Recorded pay(String id, String provider, long micros) throws Exception {
        try (Connection c = db.connect()) {
            Payouts.Recorded r = Payouts.record(c, id, provider, OCT, micros, "wire " + id, NOW);
            c.commit();
            return r;
        }
    }

    private static long balance(String provider) throws Exception {
        try (Connection c = db.connect()) {
            return Payouts.payableBalanceMicros(c, provider, OCT);
        }
    }

    @Test
    void aPayoutMovesMoneyFromThePayableToCashAndShowsOnTheStatement() throws Exception {
        earn("prov-a", 10);
        assertEquals(700_000, balance("prov-a"), "10 × 100,000 µ × 70 %");
        Payouts.Recorded r = pay("po-a-1", "prov-a", 300_000);
        assertTrue(r.created());
        assertEquals(400_000, balance("prov-a"));
        assertEquals(300_000, db.scalar("select sum(credit_micros) from ledger_entries where account = 'platform:cash'"
                + " and transaction_id = '" + Payouts.transactionId("po-a-1") + "'"));
        assertEquals(300_000, db.scalar("select sum(debit_micros) from ledger_entries where account = 'provider:prov-a:payable'"));
        try (Connection c = db.connect()) {
            ProviderStatements.Statement s = ProviderStatements.statement(c, "prov-a", OCT);
            assertEquals(1, s.lines().size());
            assertEquals(700_000, s.lines().get(0).earnedMicros());
            ProviderStatements.Balance b = s.balances().get(0);
            assertEquals(List.of(700_000L, 300_000L, 400_000L), List.of(b.earnedMicros(), b.paidOutMicros(),
                    b.balanceMicros()));
            assertEquals(List.of("po-a-1"), b.payouts().stream().map(Payout::id).toList());
        }
    }

    @Test
    void theSameIdAndContentReturnsTheFirstPayoutAndPostsNothingMore() throws Exception {
        earn("prov-b", 2);
        Payouts.Recorded first = pay("po-b-1", "prov-b", 50_000);
        Payouts.Recorded again = pay("po-b-1", "prov-b", 50_000);
        assertTrue(first.created());
        assertFalse(again.created());
        assertEquals(first.payout(), again.payout());
        assertEquals(1, db.scalar("select count(*) from ledger_transactions where kind = 'payout' and provider_id = 'prov-b'"));
        assertEquals(90_000, balance("prov-b"));
        BillingException reused = assertThrows(BillingException.class, () -> pay("po-b-1", "prov-b", 60_000));
        assertEquals(BillingException.Kind.CONFLICT, reused.kind());
    }

    @Test
    void aPayoutCannotExceedThePeriodsPayableBalance() throws Exception {
        earn("prov-c", 1);
        BillingException over = assertThrows(BillingException.class, () -> pay("po-c-1", "prov-c", 70_001));
        assertEquals(BillingException.Kind.CONFLICT, over.kind());
        pay("po-c-2", "prov-c", 70_000);
        assertEquals(0, balance("prov-c"));
        assertThrows(BillingException.class, () -> pay("po-c-3", "prov-c", 1));
        BillingException none = assertThrows(BillingException.class, () -> pay("po-x-1", "prov-without-earnings", 1));
        assertEquals(BillingException.Kind.CONFLICT, none.kind());
        BillingException zero = assertThrows(BillingException.class, () -> pay("po-c-4", "prov-c", 0));
        assertEquals(BillingException.Kind.INVALID, zero.kind());
    }

    @Test
    void twoPayoutsAtOnceCannotTogetherExceedTheBalance() throws Exception {
        earn("prov-d", 10);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            CyclicBarrier start = new CyclicBarrier(2);
            List<Future<Boolean>> results = new ArrayList<>();
            for (String id : List.of("po-d-1", "po-d-2")) {
                results.add(pool.submit(() -> {
                    start.await(10, TimeUnit.SECONDS);
                    try {
                        pay(id, "prov-d", 400_000);
                        return true;
                    } catch (BillingException e) {
                        return false;
                    }
                }));
            }
            int succeeded = 0;
            for (Future<Boolean> f : results) {
                succeeded += f.get(30, TimeUnit.SECONDS) ? 1 : 0;
            }
            assertEquals(1, succeeded, "700,000 µ owed: only one of two 400,000 µ payouts fits");
        } finally {
            pool.shutdownNow();
        }
        assertEquals(300_000, balance("prov-d"));
    }
}
