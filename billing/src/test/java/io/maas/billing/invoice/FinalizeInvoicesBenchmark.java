package io.maas.billing.invoice;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.time.YearMonth;
import java.util.Currency;

import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.maas.billing.rating.BillingPeriod;
import io.maas.billing.rating.Reservation;
import io.maas.billing.rating.ReservationScope;
import io.maas.billing.reservation.ReservationRepository;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * Bench (not a test): finalizing the invoices of 10,000 tenants with 100 usage postings each (10 models, input and
 * output: 20 usage lines per invoice) and a reservation fee for every tenth tenant, as the scheduled finalize-due
 * does it (set-based batches of 1,000, one transaction each), on embedded PostgreSQL with fsync and synchronous
 * commit on. Baseline in the same run: 1,000 other tenants finalized one invoice per call, as the admin endpoint
 * per invoice (and finalize-due before it was batched) does. Run with {@code ./maas bench}; skipped otherwise.
 */
class FinalizeInvoicesBenchmark {
    private static final int TENANTS = Integer.getInteger("bench.tenants", 10_000);
    private static final int BASELINE_TENANTS = Integer.getInteger("bench.baselineTenants", 1_000);
    private static final int POSTINGS = 100;
    private static final Instant NOW = Instant.parse("2026-11-01T01:00:00Z");

    @TempDir
    Path dataDir;

    @Test
    void finalizeTenThousandTenants() throws Exception {
        assumeTrue(Boolean.getBoolean("benchmarks"), "benchmarks run only with -Dbenchmarks=true");
        try (EmbeddedPostgres pg = EmbeddedPostgres.builder().setDataDirectory(dataDir).setCleanDataDirectory(true)
                .setServerConfig("listen_addresses", "127.0.0.1").setServerConfig("synchronous_commit", "on")
                .setServerConfig("fsync", "on").start()) {
            String url = pg.getJdbcUrl("postgres", "postgres");
            Flyway.configure().dataSource(url, "postgres", "").locations("filesystem:../migrations").load().migrate();
            long setupStarted = System.nanoTime();
            try (Connection c = DriverManager.getConnection(url, "postgres", "")) {
                c.setAutoCommit(false);
                seed(c, "bt-", TENANTS, "2026-10-01");
                seed(c, "bb-", BASELINE_TENANTS, "2026-09-01");
                for (int t = 0; t < TENANTS; t += 10) {
                    ReservationRepository.insert(c, new Reservation("bt-r" + t, "bt-" + t, ReservationScope.everything(),
                            Currency.getInstance("USD"), 2_800_000_000L, 120_000_000L, new BigDecimal("85"),
                            Instant.parse("2026-10-16T00:00:00Z"), null));
                }
                c.commit();
                c.setAutoCommit(true);
                try (Statement s = c.createStatement()) {
                    s.execute("vacuum analyze");
                }
            }
            double setupS = (System.nanoTime() - setupStarted) / 1e9;
            System.out.printf("%nInvoice finalization bench: %,d tenants x %d usage postings (%,d ledger entries), "
                    + "PostgreSQL 17 embedded (fsync, synchronous_commit=on), %d cores, Java %s; setup %.1f s%n",
                    TENANTS, POSTINGS, 2L * POSTINGS * (TENANTS + BASELINE_TENANTS),
                    Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), setupS);
            System.out.println("command: ./maas bench   (billing: FinalizeInvoicesBenchmark)");

            long baselineStarted = System.nanoTime();
            try (Connection c = DriverManager.getConnection(url, "postgres", "")) {
                c.setAutoCommit(false);
                BillingPeriod sep = BillingPeriod.of(YearMonth.of(2026, 9));
                for (int t = 0; t < BASELINE_TENANTS; t++) {
                    Invoicing.finalizeInvoice(c, "bb-" + t, sep, NOW);
                    c.commit();
                }
            }
            double baselineS = (System.nanoTime() - baselineStarted) / 1e9;

            long started = System.nanoTime();
            int finalized = 0;
            int batches = 0;
            try (Connection c = DriverManager.getConnection(url, "postgres", "")) {
                c.setAutoCommit(false);
                while (true) {
                    Invoicing.DueRun run = Invoicing.finalizeDue(c, NOW, NOW, 1_000, false);
                    c.commit();
                    batches++;
                    finalized += run.finalized().size();
                    if (run.finalized().size() < 1_000) {
                        break;
                    }
                }
            }
            double setS = (System.nanoTime() - started) / 1e9;
            assertEquals(TENANTS, finalized);
            try (Connection c = DriverManager.getConnection(url, "postgres", "");
                    Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("select count(*), sum(total_minor) from invoices where status = 'finalized'"
                            + " and period_start = '2026-10-01'")) {
                rs.next();
                assertEquals(TENANTS, rs.getLong(1));
            }
            double perInvoiceRate = BASELINE_TENANTS / baselineS;
            double setRate = TENANTS / setS;
            System.out.println("| what | invoices | seconds | invoices/s | goal |");
            System.out.println("|---|---|---|---|---|");
            System.out.printf("| baseline: one invoice per call (admin finalize) | %,d | %.2f | %,.0f | |%n",
                    BASELINE_TENANTS, baselineS, perInvoiceRate);
            System.out.printf("| finalize-due, set-based batches of 1,000 (%d transactions) | %,d | %.2f | %,.0f | < 60 s |%n",
                    batches, TENANTS, setS, setRate);
            System.out.printf("ratio set-based / per-invoice: %.1f x; 10,000 per invoice would take about %.0f s%n",
                    setRate / perInvoiceRate, TENANTS / perInvoiceRate);
        }
    }

    /** {@code tenants} tenants with {@code POSTINGS} usage transactions each in one period, and their drafts. */
    private static void seed(Connection c, String prefix, int tenants, String period) throws Exception {
        try (Statement s = c.createStatement()) {
            String series = " from generate_series(0, " + (tenants - 1) + ") t, generate_series(0, " + (POSTINGS - 1) + ") i";
            s.execute("insert into ledger_transactions (id, kind, tenant_id, usage_event_id, period_start,"
                    + " invoice_period_start, occurred_at) select md5('" + prefix + "tx' || t || ':' || i)::uuid, 'usage', '"
                    + prefix + "' || t, md5('" + prefix + "ev' || t || ':' || i)::uuid, date '" + period + "', date '"
                    + period + "', timestamptz '" + period + " 00:00:00+00' + i * interval '1 minute'" + series);
            String kind = "case when i % 2 = 0 then 'PAYG_INPUT' else 'PAYG_OUTPUT' end";
            s.execute("insert into ledger_entries (transaction_id, account, debit_micros, credit_micros, usage_event_id,"
                    + " charge_kind, base_model, tokens) select md5('" + prefix + "tx' || t || ':' || i)::uuid, 'tenant:"
                    + prefix + "' || t || ':receivable', 1000 + i * 7 + t, 0, md5('" + prefix + "ev' || t || ':' || i)::uuid, "
                    + kind + ", 'model-' || (i % 10), 100 + i" + series);
            s.execute("insert into ledger_entries (transaction_id, account, debit_micros, credit_micros, usage_event_id,"
                    + " charge_kind, base_model, tokens) select md5('" + prefix + "tx' || t || ':' || i)::uuid,"
                    + " 'platform:revenue', 0, 1000 + i * 7 + t, md5('" + prefix + "ev' || t || ':' || i)::uuid, " + kind
                    + ", 'model-' || (i % 10), 100 + i" + series);
            s.execute("insert into invoices (id, tenant_id, period_start, status) select md5('" + prefix + "inv' || t)::uuid, '"
                    + prefix + "' || t, date '" + period + "', 'draft' from generate_series(0, " + (tenants - 1) + ") t");
        }
    }
}
