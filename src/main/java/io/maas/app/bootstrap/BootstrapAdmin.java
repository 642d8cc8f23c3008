package io.maas.app.bootstrap;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.SQLException;

import javax.sql.DataSource;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.maas.app.config.MaasConfig;
import io.quarkus.runtime.StartupEvent;

/**
 * Makes sure the platform can be administered from the first start: a platform tenant and one
 * platform-admin API key, generated (printed once, saved owner-only) or taken from MAAS_BOOTSTRAP_ADMIN_KEY.
 * Instances starting together on an empty database seed once (PlatformSeed: advisory lock, idempotent inserts).
 */
@ApplicationScoped
public class BootstrapAdmin {
    public static final String KEY_FILE = "bootstrap-admin.key";
    private static final Logger LOG = Logger.getLogger(BootstrapAdmin.class);

    @Inject
    MaasConfig config;
    /** Plain JDBC: seeding needs its own transaction holding a PostgreSQL advisory lock (PlatformSeed). */
    @Inject
    DataSource dataSource;

    void onStart(@Observes StartupEvent event) {
        // Only roles operators talk to generate the key, so it is printed where docs/operations.md says: the log of
        // the first gateway (or of the single `all` process), never a worker's or billing pod's.
        boolean mayGenerate = config.role() == MaasConfig.Role.ALL || config.role() == MaasConfig.Role.GATEWAY;
        PlatformSeed.Outcome seeded;
        try (Connection connection = dataSource.getConnection()) {
            seeded = PlatformSeed.run(connection, config.bootstrapAdminKey(), mayGenerate);
        } catch (SQLException e) {
            throw new IllegalStateException("could not seed the platform tenant and bootstrap admin key", e);
        }
        Path keyFile = config.dataDir().resolve(KEY_FILE);
        if (config.bootstrapAdminKey().isPresent()) {
            if (seeded.configuredKeyStored()) {
                LOG.info("bootstrap platform-admin key from MAAS_BOOTSTRAP_ADMIN_KEY stored (hashed)");
            }
            return;
        }
        if (seeded.generatedSecret().isEmpty()) {
            if (!mayGenerate) {
                LOG.debugf("role %s generates no bootstrap key; a gateway does", config.role());
                return;
            }
            LOG.infof("platform-admin key exists; the bootstrap key, if still used, is in %s", keyFile);
            return;
        }
        String secret = seeded.generatedSecret().get();
        writeOwnerOnly(keyFile, secret);
        // Printed to the console once, on purpose, and never through the logger: log files must not hold secrets.
        System.out.printf("%n  Bootstrap platform-admin API key (shown once; also saved to %s):%n%n    %s%n%n",
                keyFile, secret);
        System.out.flush();
    }

    static void writeOwnerOnly(Path file, String secret) {
        try {
            Files.createDirectories(file.getParent());
            Files.deleteIfExists(file);
            try {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } catch (UnsupportedOperationException e) {
                Files.createFile(file);
            }
            Files.writeString(file, secret + "\n", StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING);
        } catch (FileAlreadyExistsException e) {
            throw new UncheckedIOException("could not replace " + file, e);
        } catch (IOException e) {
            throw new UncheckedIOException("could not write the bootstrap key to " + file, e);
        }
    }
}
