package io.maas.billing.invoice;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.time.YearMonth;
import java.util.ArrayList;
import java.util.Currency;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.maas.billing.ledger.LedgerAccounts;
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
 * The acceptance scenarios of the billing issue, driven through the consumer's real path (store, rate, post in
 * one transaction, {@code UsageRecorder.recordOn}) on PostgreSQL, then invoiced. Expectations are computed by
 * hand in each test.
 */
class BillingAcceptanceTest {
    private static final Currency USD = Currency.getInstance("USD");
    private static final BillingPeriod NOV = BillingPeriod.of(YearMonth.of(2026, 11));
    private static final BillingPeriod OCT = BillingPeriod.of(YearMonth.of(2026, 10));
    private static final Instant AFTER_NOV = Instant.parse("2026-12-01T00:00:05Z");
    private static BillingDatabase db;

    @BeforeAll
    static void start() throws Exception {
        db = BillingDatabase.start();
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

    private static UsageEvent usage(String tenant, String base, String adapter, String provider, int prompt,
            int completion, Instant time) {
        return UsageEvent.of(UUID.randomUUID(), "/test", time, new UsageData(tenant, null, base, adapter, provider,
                prompt, completion, UsageStatus.COMPLETED, "stop", null, 5L, null));
    }

    private static void price(PriceEntry entry) throws Exception {
        try (Connection c = db.connect()) {
            PriceBookRepository.insert(c, entry);
            c.commit();
        }
    }

    private static void reserve(Reservation r) throws Exception {
        try (Connection c = db.connect()) {
            ReservationRepository.insert(c, r);
            c.commit();
        }
    }

    private static Invoice finalizeInvoice(String tenant, BillingPeriod period, Instant now) throws Exception {
        try (Connection c = db.connect()) {
            Invoice invoice = Invoicing.finalizeInvoice(c, tenant, period, now);
            c.commit();
            return invoice;
        }
    }

    private static Invoice view(String tenant, BillingPeriod period) throws Exception {
        try (Connection c = db.connect()) {
            return Invoicing.view(c, tenant, period);
        }
    }

    /** The sum of the tenant's charges billed on the invoice (receivable debits) equals the invoice's exact total. */
    private static void assertInvoiceIsTheLedger(Invoice invoice) throws Exception {
        assertEquals(db.scalar("select coalesce(sum(e.debit_micros), 0) from ledger_entries e join ledger_transactions t"
                + " on t.id = e.transaction_id where e.account = '" + LedgerAccounts.tenantReceivable(invoice.tenantId())
                + "' and t.invoice_period_start = '" + invoice.period().month().atDay(1) + "'"), invoice.totalMicros());
        assertEquals(invoice.lines().stream().mapToLong(InvoiceLine::amountMinor).sum(), invoice.totalMinor());
    }

    private static List<UsageEvent> repeat(int n, String tenant, String base, String adapter, String provider, int prompt,
            int completion, Instant from) {
        List<UsageEvent> events = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            events.add(usage(tenant, base, adapter, provider, prompt, completion, from.plusSeconds(i)));
        }
        return events;
    }

    @Test
    void reservationOf120MTokensAt2800With150MUsedInvoices5350() throws Exception {
        reserve(new Reservation("acc-r120", "acc-res", ReservationScope.everything(), USD, 2_800_000_000L, 120_000_000L,
                new BigDecimal("85"), Instant.parse("2026-11-01T00:00:00Z"), null));
        // 150 requests of 1,000,000 tokens (600k prompt + 400k completion), in three batches as the consumer gets them.
        for (int batch = 0; batch < 3; batch++) {
            db.deliver(repeat(50, "acc-res", "acc-llama", null, null, 600_000, 400_000,
                    Instant.parse("2026-11-05T00:00:00Z").plusSeconds(batch * 100L)));
        }
        Invoice invoice = finalizeInvoice("acc-res", NOV, AFTER_NOV);
        // Fee $2,800.00 + 120,000,000 included at $0 + 30,000,000 × $0.000085 ($2,550.00) = $5,350.00.
        assertEquals(List.of(280_000L, 0L, 255_000L), invoice.lines().stream().map(InvoiceLine::amountMinor).toList());
        assertEquals(List.of("RESERVATION_FEE", "RESERVATION_INCLUDED", "RESERVATION_OVERAGE"),
                invoice.lines().stream().map(InvoiceLine::kind).toList());
        assertEquals(List.of(0L, 120_000_000L, 30_000_000L), invoice.lines().stream().map(InvoiceLine::tokens).toList());
        assertEquals(535_000L, invoice.totalMinor());
        assertEquals(5_350_000_000L, invoice.totalMicros());
        assertTrue(invoice.number().startsWith("INV-2026-11-"), invoice.number());
        assertInvoiceIsTheLedger(invoice);
        assertEquals(invoice, view("acc-res", NOV), "the stored invoice reads back as it was finalized");
    }

    @Test
    void payAsYouGo1000RequestsOf400TokensAt0_00012Invoices48() throws Exception {
        price(PriceEntry.flat(ModelRef.base("acc-payg-model"), Instant.parse("2026-01-01T00:00:00Z"),
                new BigDecimal("120"), new BigDecimal("120")));
        db.deliver(repeat(1_000, "acc-payg", "acc-payg-model", null, null, 300, 100, Instant.parse("2026-11-03T00:00:00Z")));
        Invoice invoice = finalizeInvoice("acc-payg", NOV, AFTER_NOV);
        // 300,000 prompt × $0.00012 = $36.00; 100,000 completion × $0.00012 = $12.00; total 400,000 × $0.00012 = $48.00.
        assertEquals(List.of(3_600L, 1_200L), invoice.lines().stream().map(InvoiceLine::amountMinor).toList());
        assertEquals(4_800L, invoice.totalMinor());
        assertInvoiceIsTheLedger(invoice);
    }

    @Test
    void hybridRatesEachRequestByItsRuleOnOneInvoice() throws Exception {
        reserve(new Reservation("acc-hy-sql", "acc-hybrid",
                ReservationScope.adapters(Set.of(ModelRef.adapter("acc-hy-base", "sql"))), USD, 100_000_000L, 1_000L,
                new BigDecimal("85"), Instant.parse("2026-11-01T00:00:00Z"), null));
        price(PriceEntry.flat(ModelRef.base("acc-hy-other"), Instant.parse("2026-01-01T00:00:00Z"), new BigDecimal("2"),
                new BigDecimal("4")));
        Instant t = Instant.parse("2026-11-12T09:00:00Z");
        db.deliver(List.of(
                usage("acc-hybrid", "acc-hy-base", "sql", "prov-sql", 500, 300, t),               // 800 included
                usage("acc-hybrid", "acc-hy-base", "sql", "prov-sql", 300, 100, t.plusSeconds(1)), // 200 incl + 200 overage
                usage("acc-hybrid", "acc-hy-other", null, null, 100_000, 50_000, t.plusSeconds(2))));
        Invoice invoice = finalizeInvoice("acc-hybrid", NOV, AFTER_NOV);
        // Fee $100.00; included 1,000 tokens $0; overage 200 × 85 µ = 17,000 µ = 1.7¢ → 2¢;
        // pay-as-you-go 100,000 × 2 µ = 200,000 µ = 20¢ and 50,000 × 4 µ = 200,000 µ = 20¢. Total $100.42.
        assertEquals(List.of("RESERVATION_FEE", "RESERVATION_INCLUDED", "RESERVATION_OVERAGE", "PAYG_INPUT", "PAYG_OUTPUT"),
                invoice.lines().stream().map(InvoiceLine::kind).toList());
        assertEquals(List.of(10_000L, 0L, 2L, 20L, 20L), invoice.lines().stream().map(InvoiceLine::amountMinor).toList());
        assertEquals(10_042L, invoice.totalMinor());
        assertInvoiceIsTheLedger(invoice);
        // The provider earns 70 % of the adapter's overage: 17,000 µ × 0.7 = 11,900 µ.
        try (Connection c = db.connect()) {
            assertEquals(List.of(new ProviderStatements.Line("prov-sql", "acc-hy-base", "sql", 1_200L, 17_000L, 11_900L)),
                    ProviderStatements.forPeriod(c, "prov-sql", NOV));
        }
    }

    @Test
    void reservationStartedOnThe16thOfA30DayMonthIsProratedAndOverageFollowsThePreratedAllowance() throws Exception {
        reserve(new Reservation("acc-r16", "acc-prorated", ReservationScope.baseModel("acc-pro-base"), USD,
                2_800_000_000L, 120_000_000L, new BigDecimal("85"), Instant.parse("2026-11-16T00:00:00Z"), null));
        price(PriceEntry.flat(ModelRef.base("acc-pro-base"), Instant.parse("2026-01-01T00:00:00Z"), new BigDecimal("120"),
                new BigDecimal("120")));
        // Before the 16th the reservation does not exist yet: 1,000 tokens pay-as-you-go at 120 µ = 120,000 µ = 12¢.
        db.deliver(List.of(usage("acc-prorated", "acc-pro-base", null, null, 500, 500, Instant.parse("2026-11-10T00:00:00Z"))));
        // From the 16th: 70 × 1,000,000 tokens against an allowance of 120M × 15/30 days = 60M.
        db.deliver(repeat(70, "acc-prorated", "acc-pro-base", null, null, 1_000_000, 0, Instant.parse("2026-11-20T00:00:00Z")));
        Invoice invoice = finalizeInvoice("acc-prorated", NOV, AFTER_NOV);
        // Fee $2,800 × 1,296,000 s / 2,592,000 s = $1,400.00; 60M included; 10M × $0.000085 = $850.00;
        // pay-as-you-go 500 + 500 tokens × $0.00012 = 6¢ + 6¢. Total $2,250.12.
        // Lines: fees, then usage rated against reservations, then pay-as-you-go.
        assertEquals(List.of("RESERVATION_FEE", "RESERVATION_INCLUDED", "RESERVATION_OVERAGE", "PAYG_INPUT", "PAYG_OUTPUT"),
                invoice.lines().stream().map(InvoiceLine::kind).toList());
        assertEquals(List.of(140_000L, 0L, 85_000L, 6L, 6L), invoice.lines().stream().map(InvoiceLine::amountMinor).toList());
        assertEquals(List.of(0L, 60_000_000L, 10_000_000L, 500L, 500L),
                invoice.lines().stream().map(InvoiceLine::tokens).toList());
        assertEquals(225_012L, invoice.totalMinor());
        assertInvoiceIsTheLedger(invoice);
    }

    @Test
    void aMidMonthPriceChangeChargesEachRequestAtItsOwnPrice() throws Exception {
        price(PriceEntry.flat(ModelRef.base("acc-pc"), Instant.parse("2026-01-01T00:00:00Z"), new BigDecimal("100"),
                new BigDecimal("100")));
        price(PriceEntry.flat(ModelRef.base("acc-pc"), Instant.parse("2026-11-15T00:00:00Z"), new BigDecimal("200"),
                new BigDecimal("200")));
        UsageEvent before = usage("acc-price", "acc-pc", null, null, 500, 500, Instant.parse("2026-11-14T23:59:59Z"));
        UsageEvent after = usage("acc-price", "acc-pc", null, null, 500, 500, Instant.parse("2026-11-15T00:00:00Z"));
        db.deliver(List.of(after, before));
        // Before: 1,000 × 100 µ = 100,000 µ; after: 1,000 × 200 µ = 200,000 µ.
        assertEquals(100_000, db.scalar("select sum(debit_micros) from ledger_entries where usage_event_id = '"
                + before.id() + "'"));
        assertEquals(200_000, db.scalar("select sum(debit_micros) from ledger_entries where usage_event_id = '"
                + after.id() + "'"));
        Invoice invoice = finalizeInvoice("acc-price", NOV, AFTER_NOV);
        // Input 50,000 + 100,000 µ = 15¢, output the same: 30¢.
        assertEquals(List.of(15L, 15L), invoice.lines().stream().map(InvoiceLine::amountMinor).toList());
        assertEquals(30L, invoice.totalMinor());
        assertInvoiceIsTheLedger(invoice);
    }

    @Test
    void lateUsageAfterFinalizationIsAnAdjustmentOnTheNextInvoiceAndTheFinalizedOneIsUnchanged() throws Exception {
        price(PriceEntry.flat(ModelRef.base("acc-late-model"), Instant.parse("2026-01-01T00:00:00Z"),
                new BigDecimal("120"), new BigDecimal("120")));
        db.deliver(List.of(usage("acc-late", "acc-late-model", null, null, 500, 500, Instant.parse("2026-10-20T00:00:00Z"))));
        Invoice october = finalizeInvoice("acc-late", OCT, Instant.parse("2026-11-01T01:00:00Z"));
        // 1,000 × 120 µ = 120,000 µ: 6¢ + 6¢.
        assertEquals(12L, october.totalMinor());

        // An October request that reaches billing only after October's invoice was finalized (a long outage).
        db.deliver(List.of(usage("acc-late", "acc-late-model", null, null, 1_000, 0, Instant.parse("2026-10-31T23:59:00Z"))));
        assertEquals(october, view("acc-late", OCT), "the finalized invoice is unchanged");
        Invoice november = view("acc-late", NOV);
        assertEquals(Invoice.DRAFT, november.status());
        assertEquals(1, november.lines().size());
        InvoiceLine adjustment = november.lines().get(0);
        assertTrue(adjustment.adjustment());
        assertTrue(adjustment.description().startsWith("Adjustment: usage of 2026-10"), adjustment.description());
        // 1,000 prompt tokens × 120 µ = 120,000 µ = 12¢.
        assertEquals(12L, adjustment.amountMinor());
        assertInvoiceIsTheLedger(november);

        try (Connection c = db.connect()) {
            assertTrue(ReservationRepository.hasFinalizedInvoiceFrom(c, "acc-late", OCT),
                    "a reservation may not start in October any more: its fee could not be invoiced");
            assertFalse(ReservationRepository.hasFinalizedInvoiceFrom(c, "acc-late", NOV));
        }

        SQLException refused = assertThrows(SQLException.class,
                () -> db.execute("update invoices set total_minor = 0 where id = '" + october.id() + "'"));
        assertTrue(refused.getMessage().contains("immutable"), refused.getMessage());
        assertThrows(InvoiceException.class, () -> finalizeInvoice("acc-late", OCT, Instant.parse("2026-11-02T00:00:00Z")));
    }

    @Test
    void anInvoiceCannotBeFinalizedBeforeItsPeriodEnds() {
        assertThrows(InvoiceException.class, () -> finalizeInvoice("acc-early", NOV, Instant.parse("2026-11-30T23:59:59Z")));
    }
}
