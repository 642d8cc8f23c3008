package io.maas.billing.usage;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import io.maas.billing.metering.UsageData;
import io.maas.billing.metering.UsageEvent;
import io.maas.billing.metering.UsageStatus;

/** {@link UsageLedgerWriter} on a real PostgreSQL with the real migrations: exactly once, rollups included. */
class UsageLedgerWriterTest {
    @TempDir
    static Path dataDir;
    private static EmbeddedPostgres postgres;
    private static String url;

    @BeforeAll
    static void startDatabase() throws Exception {
        postgres = EmbeddedPostgres.builder().setDataDirectory(dataDir).setCleanDataDirectory(true)
                .setServerConfig("listen_addresses", "127.0.0.1").start();
        url = postgres.getJdbcUrl("postgres", "postgres");
        Flyway.configure().dataSource(url, "postgres", "").locations("filesystem:../migrations").load().migrate();
    }

    @AfterAll
    static void stopDatabase() throws Exception {
        postgres.close();
    }

    private static UsageLedgerWriter.Delivered event(String tenant, String adapter, int prompt, int completion,
            Instant time, long offset) {
        return new UsageLedgerWriter.Delivered(UsageEvent.of(UUID.randomUUID(), "/test", time,
                new UsageData(tenant, null, "base", adapter, null, prompt, completion, UsageStatus.COMPLETED, "stop",
                        null, 3L, null)), 0, offset);
    }

    private static UsageLedgerWriter.Outcome writeAndCommit(List<UsageLedgerWriter.Delivered> batch) throws Exception {
        try (Connection c = DriverManager.getConnection(url, "postgres", "")) {
            c.setAutoCommit(false);
            UsageLedgerWriter.Outcome outcome = UsageLedgerWriter.write(c, batch);
            c.commit();
            return outcome;
        }
    }

    private static long[] sums(String sql) throws Exception {
        try (Connection c = DriverManager.getConnection(url, "postgres", "");
                Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return new long[] {rs.getLong(1), rs.getLong(2), rs.getLong(3)};
        }
    }

    @Test
    void aRedeliveredBatchAfterTheDatabaseCommitChangesNothing() throws Exception {
        Instant t = Instant.parse("2026-11-26T10:15:00Z");
        List<UsageLedgerWriter.Delivered> batch = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            batch.add(event("redelivery", i % 2 == 0 ? null : "legal-v1", 10, 5, t.plusSeconds(i * 120L), i));
        }
        assertEquals(new UsageLedgerWriter.Outcome(50, 0), writeAndCommit(batch));
        // The consumer died after the commit and before the offset commit: the same batch comes again.
        assertEquals(new UsageLedgerWriter.Outcome(0, 50), writeAndCommit(batch));

        long[] stored = sums("select count(*), sum(tokens_prompt), sum(tokens_completion) from usage_records"
                + " where tenant_id = 'redelivery'");
        long[] hourly = sums("select sum(requests), sum(tokens_prompt), sum(tokens_completion) from usage_rollups_hourly"
                + " where tenant_id = 'redelivery'");
        long[] daily = sums("select sum(requests), sum(tokens_prompt), sum(tokens_completion) from usage_rollups_daily"
                + " where tenant_id = 'redelivery'");
        long[] expected = {50, 500, 250};
        assertEquals(List.of(50L, 500L, 250L), List.of(stored[0], stored[1], stored[2]));
        assertEquals(List.of(expected[0], expected[1], expected[2]), List.of(hourly[0], hourly[1], hourly[2]));
        assertEquals(List.of(expected[0], expected[1], expected[2]), List.of(daily[0], daily[1], daily[2]));
        // 50 events two minutes apart from 10:15 span 10:00–11:00 (23 events) and 11:00–12:00 (27 events),
        // split between the bare base and one adapter: four hourly rows.
        assertEquals(4, sums("select count(*), 0, 0 from usage_rollups_hourly where tenant_id = 'redelivery'")[0]);
    }

    @Test
    void theSameEventTwiceInOneBatchIsStoredAndCountedOnce() throws Exception {
        UsageLedgerWriter.Delivered once = event("intra-batch", null, 7, 3, Instant.parse("2026-11-26T08:00:00Z"), 1);
        UsageLedgerWriter.Outcome outcome = writeAndCommit(List.of(once, once));
        assertEquals(1, outcome.inserted());
        assertEquals(1, outcome.duplicates());
        long[] hourly = sums("select sum(requests), sum(tokens_prompt), sum(tokens_completion) from usage_rollups_hourly"
                + " where tenant_id = 'intra-batch'");
        assertEquals(List.of(1L, 7L, 3L), List.of(hourly[0], hourly[1], hourly[2]));
    }
}
