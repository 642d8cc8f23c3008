package io.maas.app.embedded;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import org.jboss.logging.Logger;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * A real PostgreSQL server run from the binaries on the class path, with its data directory kept
 * under the project's data folder so it survives restarts.
 */
public final class EmbeddedPostgresServer implements AutoCloseable {
    public static final String DATABASE = "maas";
    public static final String USER = "postgres";

    private static final Logger LOG = Logger.getLogger(EmbeddedPostgresServer.class);
    private static final Duration STALE_SERVER_STOP_WAIT = Duration.ofSeconds(30);

    private final EmbeddedPostgres postgres;
    private final int port;

    private EmbeddedPostgresServer(EmbeddedPostgres postgres) {
        this.postgres = postgres;
        this.port = postgres.getPort();
    }

    /** Starts (running initdb only when the directory is empty) and creates the application database. */
    public static EmbeddedPostgresServer start(Path dataDir) throws IOException {
        Path pgData = dataDir.resolve("postgres");
        Path socketDir = dataDir.resolve("run");
        Files.createDirectories(pgData);
        Files.createDirectories(socketDir);
        stopStaleServer(pgData);
        EmbeddedPostgres postgres = EmbeddedPostgres.builder()
                .setDataDirectory(pgData)
                .setCleanDataDirectory(false)
                .setPort(FreePorts.find())
                .setPGStartupWait(Duration.ofSeconds(60))
                // zonky's own hook would stop the server in parallel with the application's shutdown; the
                // launcher stops it after the application instead (see Main).
                .setRegisterShutdownHook(false)
                .setServerConfig("listen_addresses", "127.0.0.1")
                .setServerConfig("unix_socket_directories", socketDir.toString())
                // zonky defaults to off; acknowledged commits must survive a crash.
                .setServerConfig("synchronous_commit", "on")
                .setServerConfig("fsync", "on")
                .setServerConfig("max_connections", "100")
                .start();
        EmbeddedPostgresServer server = new EmbeddedPostgresServer(postgres);
        try {
            server.createDatabaseIfMissing();
        } catch (SQLException e) {
            server.close();
            throw new IOException("embedded PostgreSQL started but database '" + DATABASE + "' could not be created", e);
        }
        return server;
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + DATABASE;
    }

    public int port() {
        return port;
    }

    private void createDatabaseIfMissing() throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", USER, "");
                PreparedStatement exists = c.prepareStatement("select 1 from pg_database where datname = ?")) {
            exists.setString(1, DATABASE);
            try (ResultSet rs = exists.executeQuery()) {
                if (!rs.next()) {
                    try (Statement create = c.createStatement()) {
                        create.execute("create database " + DATABASE);
                    }
                }
            }
        }
    }

    /**
     * After a hard kill of the JVM the postgres server keeps running (its parent becomes init) and holds
     * the data directory; stop it so this start can take over. PostgreSQL itself recovers from its WAL.
     */
    static void stopStaleServer(Path pgData) throws IOException {
        Path pidFile = pgData.resolve("postmaster.pid");
        if (!Files.exists(pidFile)) {
            return;
        }
        List<String> lines = Files.readAllLines(pidFile);
        long pid;
        try {
            pid = lines.isEmpty() ? -1 : Long.parseLong(lines.get(0).trim());
        } catch (NumberFormatException e) {
            pid = -1;
        }
        Optional<ProcessHandle> process = pid > 0 ? ProcessHandle.of(pid) : Optional.empty();
        boolean isPostgres = process.filter(ProcessHandle::isAlive)
                .flatMap(p -> p.info().command())
                .map(cmd -> cmd.endsWith("postgres"))
                .orElse(false);
        if (!isPostgres) {
            // A pid file left by a dead server: postgres handles it, but only if the pid is not reused.
            Files.deleteIfExists(pidFile);
            return;
        }
        LOG.warnf("stopping PostgreSQL (pid %d) left running by an earlier run on %s", pid, pgData);
        ProcessHandle handle = process.get();
        handle.destroy(); // SIGTERM: a smart shutdown; the orphan has no clients left
        long deadline = System.nanoTime() + STALE_SERVER_STOP_WAIT.toNanos();
        while (handle.isAlive() && System.nanoTime() < deadline) {
            sleep(100);
        }
        if (handle.isAlive()) {
            handle.destroyForcibly();
            sleep(500);
        }
        while (Files.exists(pidFile) && System.nanoTime() < deadline + 5_000_000_000L) {
            sleep(100);
        }
        Files.deleteIfExists(pidFile);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() throws IOException {
        postgres.close();
    }
}
