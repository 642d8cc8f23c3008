package io.maas.testing;

import java.io.IOException;
import java.io.InputStream;
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

    /** The real embedding model the tests call, installed from the langchain4j artifact on the test class path. */
    public static final String EMBEDDING_MODEL = "all-minilm-l6-v2";

    private EmbeddedInfrastructure infrastructure;

    /** Copies the real embedding model into {@code dir} (an embeddings folder's model folder). */
    public static void installEmbeddingModel(Path dir) throws IOException {
        Files.createDirectories(dir);
        copy("all-minilm-l6-v2.onnx", dir.resolve("model.onnx"));
        copy("all-minilm-l6-v2-tokenizer.json", dir.resolve("tokenizer.json"));
    }

    private static void copy(String resource, Path to) throws IOException {
        try (InputStream in = EmbeddedServicesResource.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException(resource + " is not on the test class path");
            }
            Files.copy(in, to);
        }
    }

    @Override
    public Map<String, String> start() {
        try {
            Path target = Files.createDirectories(Path.of("target").toAbsolutePath());
            Path dataDir = Files.createTempDirectory(target, "maas-test-data-");
            installEmbeddingModel(dataDir.resolve("embeddings").resolve(EMBEDDING_MODEL));
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
