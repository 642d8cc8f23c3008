package io.maas.billing.usage;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;

import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.maas.billing.metering.UsageData;
import io.maas.billing.metering.UsageEvent;
import io.maas.billing.metering.UsageStatus;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * Bench (not a test): events/s stored by the ledger writer (dedupe + hourly and daily rollups, one transaction
 * per batch) at batch sizes 100/500/2000, against a plain batched INSERT of the same rows in the same run.
 * Run with {@code ./maas bench}; skipped otherwise.
 */
class UsageLedgerBenchmark {
    private static final int EVENTS = Integer.getInteger("bench.events", 100_000);

    @TempDir
    Path dataDir;

    @Test
    void ledgerWriterThroughput() throws Exception {
        assumeTrue(Boolean.getBoolean("benchmarks"), "benchmarks run only with -Dbenchmarks=true");
        try (EmbeddedPostgres pg = EmbeddedPostgres.builder().setDataDirectory(dataDir).setCleanDataDirectory(true)
                .setServerConfig("listen_addresses", "127.0.0.1").setServerConfig("synchronous_commit", "on")
                .setServerConfig("fsync", "on").start()) {
            String url = pg.getJdbcUrl("postgres", "postgres");
            Flyway.configure().dataSource(url, "postgres", "").locations("filesystem:../migrations").load().migrate();
            List<UsageLedgerWriter.Delivered> events = events(EVENTS);
            System.out.printf("%nUsage ledger bench: %d events, PostgreSQL 17 embedded (synchronous_commit=on), "
                    + "%d cores, Java %s%n", EVENTS, Runtime.getRuntime().availableProcessors(),
                    System.getProperty("java.version"));
            System.out.println("command: ./maas bench   (billing: UsageLedgerBenchmark)");
            System.out.println("| batch | ledger writer events/s | plain INSERT events/s | ratio |");
            System.out.println("|---|---|---|---|");
            for (int batch : new int[] {100, 500, 2000}) {
                double writer = run(url, events, batch, true);
                double plain = run(url, events, batch, false);
                System.out.printf("| %d | %,.0f | %,.0f | %.2f |%n", batch, writer, plain, writer / plain);
            }
        }
    }

    private static double run(String url, List<UsageLedgerWriter.Delivered> events, int batch, boolean ledger)
            throws Exception {
        try (Connection c = DriverManager.getConnection(url, "postgres", "")) {
            try (Statement s = c.createStatement()) {
                s.execute("truncate usage_records, usage_rollups_hourly, usage_rollups_daily");
            }
            c.setAutoCommit(false);
            long started = System.nanoTime();
            for (int from = 0; from < events.size(); from += batch) {
                List<UsageLedgerWriter.Delivered> slice = events.subList(from, Math.min(events.size(), from + batch));
                if (ledger) {
                    UsageLedgerWriter.write(c, slice);
                } else {
                    plainInsert(c, slice);
                }
                c.commit();
            }
            return events.size() / ((System.nanoTime() - started) / 1e9);
        }
    }

    /** The baseline: the same rows, a batched INSERT, no dedupe and no rollups. */
    private static void plainInsert(Connection c, List<UsageLedgerWriter.Delivered> slice) throws Exception {
        try (PreparedStatement ps = c.prepareStatement("insert into usage_records (event_id, tenant_id, api_key_id,"
                + " base_model, adapter, provider, tokens_prompt, tokens_completion, status, finish_reason, ttft_ms,"
                + " duration_ms, trace_id, occurred_at, kafka_partition, kafka_offset)"
                + " values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            for (UsageLedgerWriter.Delivered d : slice) {
                UsageData data = d.event().data();
                ps.setObject(1, d.event().id());
                ps.setString(2, data.tenantId());
                ps.setObject(3, data.apiKeyId());
                ps.setString(4, data.baseModel());
                ps.setString(5, data.adapter());
                ps.setString(6, data.provider());
                ps.setInt(7, data.promptTokens());
                ps.setInt(8, data.completionTokens());
                ps.setString(9, data.status().wireName());
                ps.setString(10, data.finishReason());
                ps.setObject(11, data.timeToFirstTokenMs());
                ps.setObject(12, data.durationMs());
                ps.setString(13, data.traceId());
                ps.setTimestamp(14, Timestamp.from(d.event().time()));
                ps.setObject(15, d.partition());
                ps.setObject(16, d.offset());
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    private static List<UsageLedgerWriter.Delivered> events(int n) {
        Random random = new Random(7);
        Instant start = Instant.parse("2026-11-01T00:00:00Z");
        List<UsageLedgerWriter.Delivered> events = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            String adapter = random.nextInt(3) == 0 ? null : "adapter-" + random.nextInt(5);
            events.add(new UsageLedgerWriter.Delivered(UsageEvent.of(UUID.randomUUID(), "/bench",
                    start.plusSeconds(random.nextInt(86_400)), new UsageData("tenant-" + random.nextInt(50),
                            UUID.randomUUID(), "model-" + random.nextInt(2), adapter, adapter == null ? null : "p1",
                            1 + random.nextInt(2000), 1 + random.nextInt(500), UsageStatus.COMPLETED, "stop", 40L,
                            900L, "4bf92f3577b34da6a3ce929d0e0e4736")), i % 3, (long) i));
        }
        return events;
    }
}
