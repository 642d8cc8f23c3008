package io.maas.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

import io.maas.app.embedded.EmbeddedInfrastructure;
import io.maas.app.launch.LaunchSettings;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * Starts the real embedded PostgreSQL and KRaft broker, through the same bootstrap code the launcher
 * uses, in a fresh data folder under target/, and points the application at them.
 */
public class EmbeddedServicesResource implements QuarkusTestResourceLifecycleManager {
    /** The platform-admin key every Quarkus test authenticates with. */
    public static final String ADMIN_KEY = "sk-test-admin-0123456789abcdefghij";

    private EmbeddedInfrastructure infrastructure;

    @Override
    public Map<String, String> start() {
        try {
            Path target = Files.createDirectories(Path.of("target").toAbsolutePath());
            Path dataDir = Files.createTempDirectory(target, "maas-test-data-");
            LaunchSettings settings = LaunchSettings.resolve(Map.of(LaunchSettings.ENV_DATA_DIR, dataDir.toString()),
                    new Properties());
            infrastructure = EmbeddedInfrastructure.start(settings);
            Map<String, String> props = new HashMap<>(infrastructure.properties());
            props.put("maas.bootstrap-admin-key", ADMIN_KEY);
            return props;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void stop() {
        if (infrastructure != null) {
            infrastructure.close();
        }
    }
}
