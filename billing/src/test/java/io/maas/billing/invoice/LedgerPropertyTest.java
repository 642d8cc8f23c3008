package io.maas.billing.invoice;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigDecimal;
import java.sql.Connection;
import java.time.Instant;
import java.time.YearMonth;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Currency;
import java.util.List;
import java.util.Random;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.maas.billing.metering.UsageData;
import io.maas.billing.metering.UsageEvent;
import io.maas.billing.metering.UsageStatus;
import io.maas.billing.pricebook.PriceBookRepository;
import io.maas.billing.rating.BillingPeriod;
import io.maas.billing.rating.ChargeModelType;
import io.maas.billing.rating.ModelRef;
import io.maas.billing.rating.PriceEntry;
import io.maas.billing.rating.PriceTier;
import io.maas.billing.rating.Reservation;
import io.maas.billing.rating.ReservationScope;
import io.maas.billing.reservation.ReservationRepository;
import io.maas.billing.testing.BillingDatabase;

/**
 * Random event streams (fixed seed) delivered to two tenants with identical reservations: one in time order,
 * once each; the other shuffled, with duplicates, in random batch sizes. The ledger balances and the invoices
 * are the same, line for line: totals do not depend on event order or duplication. (Rates are whole micros so
 * that splitting a reservation's tokens between included and overage in another order gives the same amounts.)
 */
class LedgerPropertyTest {
    private static final BillingPeriod NOV = BillingPeriod.of(YearMonth.of(2026, 11));
    private static final int EVENTS = 400;
    private static BillingDatabase db;

    @BeforeAll
    static void start() throws Exception {
        db = BillingDatabase.start();
        try (Connection c = db.connect()) {
            PriceBookRepository.insert(c, new PriceEntry(ModelRef.base("prop-m1"), Instant.parse("2026-01-01T00:00:00Z"),
                    ChargeModelType.GRADUATED_TIERED, List.of(PriceTier.upTo(512, new BigDecimal("3"), new BigDecimal("5")),
                            PriceTier.unbounded(new BigDecimal("2"), new BigDecimal("4")))));
            PriceBookRepository.insert(c, new PriceEntry(ModelRef.base("prop-m3"), Instant.parse("2026-01-01T00:00:00Z"),
                    ChargeModelType.PER_REQUEST_TIERED, List.of(PriceTier.upTo(300, new BigDecimal("9"), new BigDecimal("9")),
                            PriceTier.unbounded(new BigDecimal("6"), new BigDecimal("8")))));
            for (String tenant : List.of("prop-a", "prop-b")) {
                ReservationRepository.insert(c, new Reservation("res-" + tenant, tenant, ReservationScope.baseModel("prop-m2"),
                        Currency.getInstance("USD"), 1_000_000, 20_000, new BigDecimal("7"),
                        Instant.parse("2026-11-03T00:00:00Z"), null));
            }
            c.commit();
        }
    }

    @AfterAll
    static void stop() throws Exception {
        db.close();
    }

    private record Spec(String base, String adapter, String provider, int prompt, int completion, UsageStatus status,
            Instant time) {
        UsageEvent as(String tenant) {
            return UsageEvent.of(UUID.randomUUID(), "/prop", time, new UsageData(tenant, null, base, adapter, provider,
                    prompt, completion, status, "stop", null, 5L, null));
        }
    }

    @Test
    void ledgerBalancesAndInvoicesDoNotDependOnOrderOrDuplicates() throws Exception {
        Random random = new Random(6);
        List<Spec> specs = new ArrayList<>();
        for (int i = 0; i < EVENTS; i++) {
            int model = random.nextInt(4);
            String base = model == 0 ? "prop-m1" : model == 1 ? "prop-m1" : model == 2 ? "prop-m2" : "prop-m3";
            String adapter = model == 1 ? "ad" : null;
            UsageStatus status = random.nextInt(20) == 0 ? UsageStatus.FAILED
                    : random.nextInt(10) == 0 ? UsageStatus.CANCELLED : UsageStatus.COMPLETED;
            specs.add(new Spec(base, adapter, adapter == null ? null : "prop-p", random.nextInt(900), random.nextInt(500),
                    status, NOV.start().plusSeconds(random.nextInt((int) NOV.seconds()))));
        }
        specs.sort((x, y) -> x.time().compareTo(y.time()));

        List<UsageEvent> ordered = specs.stream().map(s -> s.as("prop-a")).toList();
        for (int from = 0; from < ordered.size(); from += 50) {
            db.deliver(ordered.subList(from, Math.min(ordered.size(), from + 50)));
        }

        List<UsageEvent> messy = new ArrayList<>(specs.stream().map(s -> s.as("prop-b")).toList());
        int unique = messy.size();
        for (int i = 0; i < unique / 4; i++) {
            messy.add(messy.get(random.nextInt(unique)));
        }
        Collections.shuffle(messy, random);
        for (int from = 0; from < messy.size(); ) {
            int size = 1 + random.nextInt(80);
            db.deliver(messy.subList(from, Math.min(messy.size(), from + size)));
            from += size;
        }

        assertEquals(0, db.scalar("""
                select count(*) from (select t.period_start from ledger_entries e
                join ledger_transactions t on t.id = e.transaction_id group by t.period_start
                having sum(e.debit_micros) <> sum(e.credit_micros)) unbalanced"""));
        Invoice a;
        Invoice b;
        try (Connection c = db.connect()) {
            a = Invoicing.view(c, "prop-a", NOV);
            b = Invoicing.view(c, "prop-b", NOV);
        }
        assertEquals(comparable(a), comparable(b));
        assertEquals(a.totalMicros(), b.totalMicros());
        assertEquals(a.totalMinor(), b.totalMinor());
        assertEquals(db.scalar("select sum(debit_micros) from ledger_entries where account = 'tenant:prop-b:receivable'"),
                b.totalMicros() - 1_000_000 * 28 / 30, "usage on the ledger + the prorated fee (28 of 30 days) = total");
        assertEquals(EVENTS, db.scalar("select count(*) from usage_records where tenant_id = 'prop-b'"));
    }

    /** The lines without what legitimately differs between the tenants (the reservation's id). */
    private static List<String> comparable(Invoice invoice) {
        return invoice.lines().stream().map(l -> l.kind() + "|" + l.baseModel() + "|" + l.adapter() + "|" + l.tokens()
                + "|" + l.amountMicros() + "|" + l.amountMinor()).toList();
    }
}
