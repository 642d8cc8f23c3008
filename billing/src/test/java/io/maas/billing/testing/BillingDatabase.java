package io.maas.billing.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

import java.util.List;

import org.flywaydb.core.Flyway;

import io.maas.billing.metering.UsageEvent;
import io.maas.billing.usage.UsageLedgerWriter;
import io.maas.billing.usage.UsageRecorder;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/** An embedded PostgreSQL with the project's real migrations, for billing tests that need the database. */
public final class BillingDatabase implements AutoCloseable {
    private final EmbeddedPostgres postgres;
    private final String url;

    private BillingDatabase(EmbeddedPostgres postgres) {
        this.postgres = postgres;
        this.url = postgres.getJdbcUrl("postgres", "postgres");
        Flyway.configure().dataSource(url, "postgres", "").locations("filesystem:../migrations").load().migrate();
    }

    public static BillingDatabase start() throws Exception {
        Path dir = Files.createTempDirectory("billing-pg");
        return new BillingDatabase(EmbeddedPostgres.builder().setDataDirectory(dir).setCleanDataDirectory(true)
                .setServerConfig("listen_addresses", "127.0.0.1").start());
    }

    /** The database as a DataSource (auto-commit connections), for services that take one. */
    public javax.sql.DataSource dataSource() {
        return postgres.getPostgresDatabase();
    }

    /** A connection in manual-commit mode. */
    public Connection connect() throws SQLException {
        Connection c = DriverManager.getConnection(url, "postgres", "");
        c.setAutoCommit(false);
        return c;
    }

    /** The first column of the first row of {@code sql}, as a long (0 when null). */
    public long scalar(String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(url, "postgres", "");
                Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    public void execute(String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(url, "postgres", ""); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    /** Delivers events as the consumer does (one transaction: store, rate, post) and commits. */
    public UsageLedgerWriter.Outcome deliver(List<UsageEvent> events) throws SQLException {
        try (Connection c = connect()) {
            UsageLedgerWriter.Outcome outcome = UsageRecorder.recordOn(c,
                    events.stream().map(e -> new UsageLedgerWriter.Delivered(e, null, null)).toList());
            c.commit();
            return outcome;
        }
    }

    @Override
    public void close() throws Exception {
        postgres.close();
    }
}
