package io.maas.app.bootstrap;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Arrays;
import java.util.Optional;
import java.util.UUID;

import io.maas.gateway.auth.ApiKeySecrets;
import io.maas.gateway.auth.Roles;
import io.maas.gateway.auth.TenantEntity;

/**
 * The rows a database needs before its first request (the platform tenant, one platform-admin key), written exactly
 * once however many instances start at once on an empty database: one transaction under a PostgreSQL
 * transaction-scoped advisory lock, with inserts that skip rows already there.
 */
public final class PlatformSeed {
    /** Advisory lock key every instance takes around seeding ("maasseed" in ASCII). */
    public static final long LOCK_KEY = 0x6d61617373656564L;
    static final String KEY_NAME = "bootstrap admin";

    private PlatformSeed() {
    }

    /**
     * What this instance's seeding did: whether it created the platform tenant, the secret of the key it generated
     * (none when a platform-admin key existed or one was configured), whether it stored the configured key.
     */
    public record Outcome(boolean tenantCreated, Optional<String> generatedSecret, boolean configuredKeyStored) {
    }

    /** {@link #run(Connection, Optional, boolean)} by an instance that may generate the key (roles all, gateway). */
    public static Outcome run(Connection connection, Optional<String> configuredKey) throws SQLException {
        return run(connection, configuredKey, true);
    }

    /**
     * Seeds in one transaction on {@code connection} (committed here; the connection's auto-commit is restored).
     * With {@code configuredKey} that key is stored unless present; without it a key is generated only when
     * {@code mayGenerate} and no active platform-admin key exists.
     */
    public static Outcome run(Connection connection, Optional<String> configuredKey, boolean mayGenerate)
            throws SQLException {
        boolean autoCommit = connection.getAutoCommit();
        connection.setAutoCommit(false);
        try {
            // Held until commit or rollback: a second instance waits here, then sees the first one's rows (each
            // statement under READ COMMITTED reads what was committed before it started).
            try (PreparedStatement lock = connection.prepareStatement("select pg_advisory_xact_lock(?)")) {
                lock.setLong(1, LOCK_KEY);
                lock.execute();
            }
            boolean tenantCreated;
            try (PreparedStatement tenant = connection.prepareStatement(
                    "insert into tenants (id, name, created_at) values (?, ?, ?) on conflict (id) do nothing")) {
                tenant.setString(1, TenantEntity.PLATFORM_TENANT_ID);
                tenant.setString(2, "Platform");
                tenant.setTimestamp(3, Timestamp.from(Instant.now()));
                tenantCreated = tenant.executeUpdate() == 1;
            }
            Outcome outcome;
            if (configuredKey.isPresent()) {
                outcome = new Outcome(tenantCreated, Optional.empty(), insertKey(connection, configuredKey.get()));
            } else if (!mayGenerate || activePlatformAdminKeys(connection) > 0) {
                outcome = new Outcome(tenantCreated, Optional.empty(), false);
            } else {
                String secret = ApiKeySecrets.newSecret();
                insertKey(connection, secret);
                outcome = new Outcome(tenantCreated, Optional.of(secret), false);
            }
            connection.commit();
            return outcome;
        } catch (SQLException | RuntimeException e) {
            connection.rollback();
            throw e;
        } finally {
            connection.setAutoCommit(autoCommit);
        }
    }

    private static boolean insertKey(Connection connection, String secret) throws SQLException {
        try (PreparedStatement key = connection.prepareStatement("insert into api_keys"
                + " (id, tenant_id, name, key_prefix, key_hash, roles, created_at) values (?, ?, ?, ?, ?, ?, ?)"
                + " on conflict (key_hash) do nothing")) {
            key.setObject(1, UUID.randomUUID());
            key.setString(2, TenantEntity.PLATFORM_TENANT_ID);
            key.setString(3, KEY_NAME);
            key.setString(4, ApiKeySecrets.visiblePrefix(secret));
            key.setBytes(5, ApiKeySecrets.hash(secret));
            key.setString(6, Roles.PLATFORM_ADMIN);
            key.setTimestamp(7, Timestamp.from(Instant.now()));
            return key.executeUpdate() == 1;
        }
    }

    /** Same rule as ApiKeyService.countActiveWithRole: roles are a comma-separated list. */
    private static long activePlatformAdminKeys(Connection connection) throws SQLException {
        long count = 0;
        try (PreparedStatement keys = connection.prepareStatement("select roles from api_keys where revoked_at is null");
                ResultSet rows = keys.executeQuery()) {
            while (rows.next()) {
                if (Arrays.stream(rows.getString(1).split(",")).map(String::trim).anyMatch(Roles.PLATFORM_ADMIN::equals)) {
                    count++;
                }
            }
        }
        return count;
    }
}
