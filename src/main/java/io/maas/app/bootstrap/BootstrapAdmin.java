package io.maas.app.bootstrap;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;

import org.jboss.logging.Logger;

import io.maas.app.config.MaasConfig;
import io.maas.gateway.auth.ApiKeyService;
import io.maas.gateway.auth.Roles;
import io.maas.gateway.auth.TenantEntity;
import io.quarkus.runtime.StartupEvent;

/**
 * Makes sure the platform can be administered from the first start: a platform tenant and one
 * platform-admin API key, generated (printed once, saved owner-only) or taken from MAAS_BOOTSTRAP_ADMIN_KEY.
 */
@ApplicationScoped
public class BootstrapAdmin {
    public static final String KEY_FILE = "bootstrap-admin.key";
    private static final Logger LOG = Logger.getLogger(BootstrapAdmin.class);

    @Inject
    MaasConfig config;
    @Inject
    ApiKeyService keys;

    void onStart(@Observes StartupEvent event) {
        ensurePlatformTenant();
        if (config.bootstrapAdminKey().isPresent()) {
            String secret = config.bootstrapAdminKey().get();
            if (!keys.exists(secret)) {
                keys.store(secret, TenantEntity.PLATFORM_TENANT_ID, "bootstrap admin", Set.of(Roles.PLATFORM_ADMIN));
                LOG.info("bootstrap platform-admin key from MAAS_BOOTSTRAP_ADMIN_KEY stored (hashed)");
            }
            return;
        }
        Path keyFile = config.dataDir().resolve(KEY_FILE);
        if (keys.countActiveWithRole(Roles.PLATFORM_ADMIN) > 0) {
            LOG.infof("platform-admin key exists; the bootstrap key, if still used, is in %s", keyFile);
            return;
        }
        ApiKeyService.CreatedKey created = keys.create(TenantEntity.PLATFORM_TENANT_ID, "bootstrap admin",
                Set.of(Roles.PLATFORM_ADMIN));
        writeOwnerOnly(keyFile, created.secret());
        // Printed to the console once, on purpose, and never through the logger: log files must not hold secrets.
        System.out.printf("%n  Bootstrap platform-admin API key (shown once; also saved to %s):%n%n    %s%n%n",
                keyFile, created.secret());
        System.out.flush();
    }

    @Transactional
    void ensurePlatformTenant() {
        if (TenantEntity.findById(TenantEntity.PLATFORM_TENANT_ID) == null) {
            TenantEntity tenant = new TenantEntity();
            tenant.id = TenantEntity.PLATFORM_TENANT_ID;
            tenant.name = "Platform";
            tenant.createdAt = Instant.now();
            tenant.persist();
        }
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
