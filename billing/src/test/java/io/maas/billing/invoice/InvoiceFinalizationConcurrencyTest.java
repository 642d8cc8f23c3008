package io.maas.billing.invoice;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.sql.Connection;
import java.time.Instant;
import java.time.YearMonth;
import java.util.ArrayList;
import java.util.Currency;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

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
 * Finalize-due as several application instances run it (the scheduler on each): two finalizers on their own
 * connections at once, in small batches. Every due invoice ends finalized exactly once, with one number, one fee
 * posting per reservation and totals equal to the ledger; neither finalizer fails.
 */
class InvoiceFinalizationConcurrencyTest {
    private static final BillingPeriod OCT = BillingPeriod.of(YearMonth.of(2026, 10));
    private static final Instant NOW = Instant.parse("2026-11-01T02:00:00Z");
    private static final int TENANTS = 60;
    private static BillingDatabase db;

    @BeforeAll
    static void start() throws Exception {
        db = BillingDatabase.start();
        try (Connection c = db.connect()) {
            PriceBookRepository.insert(c, PriceEntry.flat(ModelRef.base("fin-model"), Instant.parse("2026-01-01T00:00:00Z"),
                    new BigDecimal("100"), new BigDecimal("200")));
            for (int t = 0; t < TENANTS; t += 3) {
                ReservationRepository.insert(c, new Reservation("fin-r" + t, "fin-" + t, ReservationScope.everything(),
                        Currency.getInstance("USD"), 1_000_000_000L, 1_000_000L, new BigDecimal("85"),
                        Instant.parse("2026-10-16T00:00:00Z"), null));
            }
            c.commit();
        }
        List<UsageEvent> events = new ArrayList<>();
        for (int t = 0; t < TENANTS; t++) {
            for (int i = 0; i < 5; i++) {
                events.add(UsageEvent.of(UUID.randomUUID(), "/test", Instant.parse("2026-10-20T10:00:00Z").plusSeconds(i),
                        new UsageData("fin-" + t, null, "fin-model", null, null, 10 + t, 20 + i, UsageStatus.COMPLETED,
                                "stop", null, 5L, null)));
            }
        }
        db.deliver(events);
    }

    @AfterAll
    static void stop() throws Exception {
        db.close();
    }

    /** One instance's scheduler: batches of {@code size} until a run finds nothing due; busy rounds are retried. */
    private static int finalizer(CyclicBarrier start, int size) throws Exception {
        start.await(10, TimeUnit.SECONDS);
        int finalized = 0;
        for (int round = 0; round < 10_000; round++) {
            Invoicing.DueRun run;
            try (Connection c = db.connect()) {
                run = Invoicing.finalizeDue(c, NOW, NOW, size, false);
                c.commit();
            }
            if (run.busy()) {
                Thread.sleep(2);
                continue;
            }
            finalized += run.finalized().size();
            if (run.finalized().size() < size) {
                return finalized;
            }
        }
        throw new AssertionError("the finalizer never finished");
    }

    @Test
    void twoConcurrentFinalizersFinalizeEveryDueInvoiceExactlyOnce() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            CyclicBarrier start = new CyclicBarrier(2);
            Future<Integer> a = pool.submit(() -> finalizer(start, 7));
            Future<Integer> b = pool.submit(() -> finalizer(start, 7));
            int byA = a.get(60, TimeUnit.SECONDS);
            int byB = b.get(60, TimeUnit.SECONDS);
            assertEquals(TENANTS, byA + byB, "each due invoice finalized by exactly one of the two");
        } finally {
            pool.shutdownNow();
        }
        assertEquals(TENANTS, db.scalar("select count(*) from invoices where period_start = '2026-10-01'"
                + " and status = 'finalized'"));
        assertEquals(TENANTS, db.scalar("select count(distinct number) from invoices where period_start = '2026-10-01'"));
        assertEquals(TENANTS / 3, db.scalar("select count(*) from ledger_transactions where kind = 'reservation_fee'"),
                "one fee posting per reservation and period");
        // Every stored total is the ledger's: receivable debits billed on that invoice.
        assertEquals(0, db.scalar("""
                select count(*) from invoices i where i.period_start = '2026-10-01' and i.total_micros <>
                    (select coalesce(sum(e.debit_micros), 0) from ledger_entries e join ledger_transactions t
                     on t.id = e.transaction_id where t.tenant_id = i.tenant_id and t.invoice_period_start = i.period_start
                     and e.account = 'tenant:' || i.tenant_id || ':receivable')"""));
        assertEquals(0, db.scalar("""
                select count(*) from invoices i where i.total_minor <>
                    (select sum(l.amount_minor) from invoice_lines l where l.invoice_id = i.id)"""));
        assertEquals(0, db.scalar("""
                select count(*) from (select t.period_start from ledger_entries e
                join ledger_transactions t on t.id = e.transaction_id group by t.period_start
                having sum(e.debit_micros) <> sum(e.credit_micros)) unbalanced"""));
        // A run afterwards finds nothing more to do.
        try (Connection c = db.connect()) {
            Invoicing.DueRun again = Invoicing.finalizeDue(c, NOW, NOW, 7, false);
            c.commit();
            assertFalse(again.busy());
            assertTrue(again.finalized().isEmpty());
        }
    }

    @Test
    void aFinalizerThatCannotTakeTheLockAtOnceDoesNothing() throws Exception {
        try (Connection holder = db.connect(); Connection other = db.connect()) {
            Invoicing.DueRun first = Invoicing.finalizeDue(holder, NOW, NOW, 1, false);
            assertFalse(first.busy());
            Invoicing.DueRun second = Invoicing.finalizeDue(other, NOW, NOW, 1, false);
            assertTrue(second.busy(), "the lock is held by the first transaction until it ends");
            assertTrue(second.finalized().isEmpty());
            other.rollback();
            holder.rollback();
            Invoicing.DueRun third = Invoicing.finalizeDue(other, NOW, NOW, 1, false);
            assertFalse(third.busy(), "the lock ends with the transaction that held it");
            other.rollback();
        }
    }
}
