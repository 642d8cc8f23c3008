package io.maas.billing.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigDecimal;
import java.sql.Connection;
import java.time.Instant;
import java.util.Currency;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.maas.billing.metering.UsageData;
import io.maas.billing.metering.UsageEvent;
import io.maas.billing.metering.UsageStatus;
import io.maas.billing.pricebook.PriceBookRepository;
import io.maas.billing.rating.ModelRef;
import io.maas.billing.rating.PriceEntry;
import io.maas.billing.rating.Reservation;
import io.maas.billing.rating.ReservationScope;
import io.maas.billing.reservation.ReservationRepository;
import io.maas.billing.testing.BillingDatabase;

/** The consumer's transaction rates new events and posts them: balanced, once per event, unrated kept aside. */
class UsagePosterTest {
    private static final Instant T = Instant.parse("2026-11-10T10:00:00Z");
    private static BillingDatabase db;

    @BeforeAll
    static void start() throws Exception {
        db = BillingDatabase.start();
    }

    @AfterAll
    static void stop() throws Exception {
        db.close();
    }

    /** Invariant after every test: each period of the ledger balances, and so does each transaction. */
    @AfterEach
    void ledgerBalances() throws Exception {
        assertEquals(0, db.scalar("""
                select count(*) from (select t.period_start from ledger_entries e
                join ledger_transactions t on t.id = e.transaction_id group by t.period_start
                having sum(e.debit_micros) <> sum(e.credit_micros)) unbalanced"""));
        assertEquals(0, db.scalar("""
                select count(*) from (select transaction_id from ledger_entries group by transaction_id
                having sum(debit_micros) <> sum(credit_micros)) unbalanced"""));
    }

    static UsageEvent event(String tenant, String base, String adapter, String provider, int prompt, int completion,
            Instant time) {
        return UsageEvent.of(UUID.randomUUID(), "/test", time, new UsageData(tenant, null, base, adapter, provider,
                prompt, completion, UsageStatus.COMPLETED, "stop", null, 5L, null));
    }

    static void price(PriceEntry entry) throws Exception {
        try (Connection c = db.connect()) {
            PriceBookRepository.insert(c, entry);
            c.commit();
        }
    }

    private static long balance(String account, String tenantFilter) throws Exception {
        return db.scalar("select coalesce(sum(e.debit_micros) - sum(e.credit_micros), 0) from ledger_entries e"
                + " join ledger_transactions t on t.id = e.transaction_id where e.account = '" + account + "'"
                + " and t.tenant_id = '" + tenantFilter + "'");
    }

    @Test
    void payAsYouGoIsPostedOnceEvenWhenRedelivered() throws Exception {
        price(PriceEntry.flat(ModelRef.base("pg-base"), Instant.parse("2026-01-01T00:00:00Z"), new BigDecimal("120"),
                new BigDecimal("120")));
        UsageEvent e = event("pg-payg", "pg-base", null, null, 300, 100, T);
        db.deliver(List.of(e));
        db.deliver(List.of(e, e));
        // 400 tokens × 120 µ = 48,000 µ ($0.048): debited to the tenant, credited to platform revenue.
        assertEquals(1, db.scalar("select count(*) from ledger_transactions where usage_event_id = '" + e.id() + "'"));
        assertEquals(48_000, balance(LedgerAccounts.tenantReceivable("pg-payg"), "pg-payg"));
        assertEquals(-48_000, balance(LedgerAccounts.PLATFORM_REVENUE, "pg-payg"));
        assertEquals(0, db.scalar("select count(*) from ledger_entries where usage_event_id = '" + e.id()
                + "' and transaction_id <> '" + UsagePoster.transactionId(e.id()) + "'"));
    }

    @Test
    void adapterChargesAreSplitBetweenProviderAndPlatform() throws Exception {
        price(PriceEntry.flat(ModelRef.base("pg-split"), Instant.parse("2026-01-01T00:00:00Z"), new BigDecimal("100"),
                new BigDecimal("100")));
        db.deliver(List.of(event("pg-share", "pg-split", "law", "prov-1", 1_000, 0, T)));
        // 1,000 × 100 µ = 100,000 µ; the seeded default share is 70 % to the provider: 70,000 µ, platform 30,000 µ.
        assertEquals(100_000, balance(LedgerAccounts.tenantReceivable("pg-share"), "pg-share"));
        assertEquals(-70_000, balance(LedgerAccounts.providerPayable("prov-1"), "pg-share"));
        assertEquals(-30_000, balance(LedgerAccounts.PLATFORM_REVENUE, "pg-share"));
    }

    @Test
    void usageWithoutAPriceIsKeptUnratedAndPostedOnceAPriceCoversIt() throws Exception {
        UsageEvent e = event("pg-unrated", "pg-unpriced", null, null, 10, 10, T);
        db.deliver(List.of(e));
        // Stored and counted (the partition moves on), not billed, visible with its reason.
        assertEquals(1, db.scalar("select count(*) from usage_records where event_id = '" + e.id() + "'"));
        assertEquals(0, db.scalar("select count(*) from ledger_transactions where usage_event_id = '" + e.id() + "'"));
        assertEquals(1, db.scalar("select count(*) from unrated_usage where event_id = '" + e.id()
                + "' and reason like '%pg-unpriced%'"));

        price(PriceEntry.flat(ModelRef.base("pg-unpriced"), Instant.parse("2026-11-01T00:00:00Z"), new BigDecimal("1"),
                new BigDecimal("2")));
        try (Connection c = db.connect()) {
            assertEquals(new UsagePoster.Outcome(1, 0, 0), UsagePoster.retryUnrated(c, 100));
            c.commit();
        }
        // 10 × 1 µ + 10 × 2 µ = 30 µ.
        assertEquals(30, balance(LedgerAccounts.tenantReceivable("pg-unrated"), "pg-unrated"));
        assertEquals(0, db.scalar("select count(*) from unrated_usage where event_id = '" + e.id() + "'"));
    }

    @Test
    void allowanceDrawsAccumulateAcrossBatchesThenOverageIsCharged() throws Exception {
        try (Connection c = db.connect()) {
            ReservationRepository.insert(c, new Reservation("pg-r1", "pg-res", ReservationScope.everything(),
                    Currency.getInstance("USD"), 1_000_000, 1_000, new BigDecimal("85"),
                    Instant.parse("2026-11-01T00:00:00Z"), null));
            c.commit();
        }
        db.deliver(List.of(event("pg-res", "pg-any", null, null, 500, 100, T)));
        db.deliver(List.of(event("pg-res", "pg-any", null, null, 500, 100, T.plusSeconds(60))));
        // 600 tokens included, then 400 included + 200 overage × 85 µ = 17,000 µ. No price is needed for pg-any.
        assertEquals(1_000, db.scalar("select allowance_used_tokens from reservation_allowance_usage"
                + " where reservation_id = 'pg-r1' and period_start = '2026-11-01'"));
        assertEquals(17_000, balance(LedgerAccounts.tenantReceivable("pg-res"), "pg-res"));
        assertEquals(1_200, db.scalar("select sum(tokens) from ledger_entries e join ledger_transactions t"
                + " on t.id = e.transaction_id where t.tenant_id = 'pg-res' and e.account like 'tenant:%'"));
    }

    @Test
    void failedRequestsPostNothing() throws Exception {
        UsageEvent failed = UsageEvent.of(UUID.randomUUID(), "/test", T, new UsageData("pg-failed", null, "pg-base",
                null, null, 10, 0, UsageStatus.FAILED, "error", null, 5L, null));
        db.deliver(List.of(failed));
        assertEquals(0, db.scalar("select count(*) from ledger_transactions where tenant_id = 'pg-failed'"));
        assertEquals(0, db.scalar("select count(*) from unrated_usage where tenant_id = 'pg-failed'"));
    }
}
