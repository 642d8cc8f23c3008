package io.maas.app.bootstrap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.maas.app.embedded.EmbeddedPostgresServer;

/**
 * Several instances seeding an empty database at the same moment (one connection and transaction each, released
 * together by a barrier) against a real PostgreSQL with the real migrations: no failure, one row of each.
 */
class PlatformSeedTest {
    private static final int INSTANCES = 8;

    @TempDir
    static Path dataDir;
    private static EmbeddedPostgresServer postgres;
    private static int databases;

    @BeforeAll
    static void startPostgres() throws Exception {
        postgres = EmbeddedPostgresServer.start(dataDir);
    }

    @AfterAll
    static void stopPostgres() throws Exception {
        if (postgres != null) {
            postgres.close();
        }
    }

    /** A new database with every migration applied, as a fresh deployment's first start sees it. */
    private static String emptyMigratedDatabase() throws SQLException {
        String name = "seed_race_" + (++databases);
        try (Connection c = connect("postgres"); Statement s = c.createStatement()) {
            s.execute("create database " + name);
        }
        Flyway.configure().dataSource(url(name), EmbeddedPostgresServer.USER, "").locations("classpath:db/migration")
                .load().migrate();
        return name;
    }

    private static String url(String database) {
        return "jdbc:postgresql://127.0.0.1:" + postgres.port() + "/" + database;
    }

    private static Connection connect(String database) throws SQLException {
        return DriverManager.getConnection(url(database), EmbeddedPostgresServer.USER, "");
    }

    private static List<PlatformSeed.Outcome> seedConcurrently(String database, Optional<String> configuredKey)
            throws Exception {
        CyclicBarrier start = new CyclicBarrier(INSTANCES);
        ExecutorService pool = Executors.newFixedThreadPool(INSTANCES);
        try {
            List<Future<PlatformSeed.Outcome>> runs = new ArrayList<>();
            for (int i = 0; i < INSTANCES; i++) {
                runs.add(pool.submit(() -> {
                    try (Connection c = connect(database)) {
                        start.await(30, TimeUnit.SECONDS);
                        return PlatformSeed.run(c, configuredKey);
                    }
                }));
            }
            List<PlatformSeed.Outcome> outcomes = new ArrayList<>();
            for (Future<PlatformSeed.Outcome> run : runs) {
                outcomes.add(run.get(60, TimeUnit.SECONDS)); // a duplicate-key failure would surface here
            }
            return outcomes;
        } finally {
            pool.shutdownNow();
        }
    }

    private static long count(String database, String sql) throws SQLException {
        try (Connection c = connect(database); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            assertTrue(rs.next());
            return rs.getLong(1);
        }
    }

    @Test
    void concurrentFirstStartsGenerateExactlyOneAdminKeyAndOneTenant() throws Exception {
        String db = emptyMigratedDatabase();
        List<PlatformSeed.Outcome> outcomes = seedConcurrently(db, Optional.empty());

        assertEquals(1, outcomes.stream().filter(PlatformSeed.Outcome::tenantCreated).count());
        assertEquals(1, outcomes.stream().filter(o -> o.generatedSecret().isPresent()).count(),
                "exactly one instance generates (and prints) the bootstrap key");
        assertEquals(1, count(db, "select count(*) from tenants where id = 'platform'"));
        assertEquals(1, count(db, "select count(*) from api_keys where roles = 'platform-admin'"));
        String secret = outcomes.stream().flatMap(o -> o.generatedSecret().stream()).findFirst().orElseThrow();
        try (Connection c = connect(db);
                var q = c.prepareStatement("select count(*) from api_keys where key_hash = ?")) {
            q.setBytes(1, io.maas.gateway.auth.ApiKeySecrets.hash(secret));
            try (ResultSet rs = q.executeQuery()) {
                assertTrue(rs.next());
                assertEquals(1, rs.getLong(1), "the printed key is the stored one");
            }
        }

        // A later start (the usual case) changes nothing.
        PlatformSeed.Outcome again;
        try (Connection c = connect(db)) {
            again = PlatformSeed.run(c, Optional.empty());
            assertTrue(c.getAutoCommit(), "the connection's auto-commit is restored");
        }
        assertFalse(again.tenantCreated());
        assertTrue(again.generatedSecret().isEmpty());
        assertEquals(1, count(db, "select count(*) from api_keys"));
    }

    /**
     * The tenant row exists but no active admin key does (every admin key revoked, then instances restart together):
     * nothing serializes the instances but the advisory lock, so each round must still add exactly one key.
     */
    @Test
    void concurrentStartsWithoutAnActiveAdminKeyGenerateExactlyOneEachTime() throws Exception {
        String db = emptyMigratedDatabase();
        try (Connection c = connect(db)) {
            PlatformSeed.run(c, Optional.empty());
        }
        for (int round = 1; round <= 5; round++) {
            try (Connection c = connect(db); Statement s = c.createStatement()) {
                s.execute("update api_keys set revoked_at = now() where revoked_at is null");
            }
            List<PlatformSeed.Outcome> outcomes = seedConcurrently(db, Optional.empty());
            assertEquals(1, outcomes.stream().filter(o -> o.generatedSecret().isPresent()).count(), "round " + round);
            assertEquals(1, count(db, "select count(*) from api_keys where revoked_at is null"), "round " + round);
            assertTrue(outcomes.stream().noneMatch(PlatformSeed.Outcome::tenantCreated));
        }
    }

    @Test
    void workersAndBillingSeedTheTenantButNeverGenerateTheKey() throws Exception {
        String db = emptyMigratedDatabase();
        PlatformSeed.Outcome worker;
        try (Connection c = connect(db)) {
            worker = PlatformSeed.run(c, Optional.empty(), false);
        }
        assertTrue(worker.tenantCreated());
        assertTrue(worker.generatedSecret().isEmpty());
        assertEquals(0, count(db, "select count(*) from api_keys"));
        try (Connection c = connect(db)) {
            assertTrue(PlatformSeed.run(c, Optional.empty(), true).generatedSecret().isPresent(), "then a gateway does");
        }
    }

    @Test
    void concurrentFirstStartsWithAConfiguredKeyStoreItOnce() throws Exception {
        String db = emptyMigratedDatabase();
        String key = "sk-configured-bootstrap-0123456789abcdef";
        List<PlatformSeed.Outcome> outcomes = seedConcurrently(db, Optional.of(key));

        assertEquals(1, outcomes.stream().filter(PlatformSeed.Outcome::configuredKeyStored).count());
        assertTrue(outcomes.stream().allMatch(o -> o.generatedSecret().isEmpty()));
        assertEquals(1, count(db, "select count(*) from tenants"));
        assertEquals(1, count(db, "select count(*) from api_keys"));
    }
}
