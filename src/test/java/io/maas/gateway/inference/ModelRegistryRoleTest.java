package io.maas.gateway.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.InputStream;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.maas.app.config.MaasConfig;

/**
 * The wiring of roles to model loading: a gateway's registry holds metadata-only engines (no weights mapped, checked
 * in /proc/self/maps) and skips embedding models; a worker's registry loads weights.
 */
class ModelRegistryRoleTest {
    @TempDir
    Path dataDir;

    /** Just the keys the registries read; anything else is a test bug. */
    private MaasConfig config(MaasConfig.Role role) {
        MaasConfig.DemoModel demo = (MaasConfig.DemoModel) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {MaasConfig.DemoModel.class}, (p, m, a) -> switch (m.getName()) {
                    case "enabled" -> true;
                    case "id" -> "demo-tiny";
                    case "seed" -> 42L;
                    default -> throw new UnsupportedOperationException(m.getName());
                });
        return (MaasConfig) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {MaasConfig.class},
                (p, m, a) -> switch (m.getName()) {
                    case "role" -> role;
                    case "dataDir" -> dataDir;
                    case "modelsDir", "embeddingsDir" -> Optional.empty();
                    case "demoModel" -> demo;
                    default -> throw new UnsupportedOperationException(m.getName());
                });
    }

    private ModelRegistry registry(MaasConfig.Role role) {
        ModelRegistry registry = new ModelRegistry();
        registry.config = config(role);
        registry.onStart(null);
        return registry;
    }

    private static void copy(String resource, Path to) throws Exception {
        try (InputStream in = ModelRegistryRoleTest.class.getClassLoader().getResourceAsStream(resource)) {
            assertTrue(in != null, resource + " is not on the test class path");
            Files.copy(in, to);
        }
    }

    /** Whether this test's weights file is mapped (other tests in the JVM map their own models elsewhere). */
    private boolean weightsMapped() throws Exception {
        Path weights = dataDir.resolve("models").resolve("demo-tiny").resolve("model.safetensors").toAbsolutePath();
        return Files.readString(Path.of("/proc/self/maps")).contains(weights.toString());
    }

    @Test
    void aGatewayLoadsMetadataOnlyAndNoEmbeddingModel() throws Exception {
        assumeTrue(Files.isReadable(Path.of("/proc/self/maps")), "needs Linux /proc to see mappings");
        ModelRegistry gateway = registry(MaasConfig.Role.GATEWAY);
        try {
            assertEquals(List.of("demo-tiny"), gateway.modelIds());
            assertFalse(gateway.loadsWeights());
            assertTrue(gateway.find("demo-tiny").orElseThrow().metadataOnly());
            assertTrue(gateway.find("demo-tiny").orElseThrow().countTokens("hello world") > 0);
            assertFalse(weightsMapped(), "role gateway mapped model weights");

            // The real embedding model of the test class path: a gateway leaves it alone, a worker loads it.
            Path embedder = Files.createDirectories(dataDir.resolve("embeddings").resolve("all-minilm-l6-v2"));
            copy("all-minilm-l6-v2.onnx", embedder.resolve("model.onnx"));
            copy("all-minilm-l6-v2-tokenizer.json", embedder.resolve("tokenizer.json"));
            EmbeddingRegistry embeddings = new EmbeddingRegistry();
            embeddings.config = config(MaasConfig.Role.GATEWAY);
            embeddings.onStart(null);
            assertTrue(embeddings.find("all-minilm-l6-v2").isEmpty());
            EmbeddingRegistry workerEmbeddings = new EmbeddingRegistry();
            workerEmbeddings.config = config(MaasConfig.Role.WORKER);
            workerEmbeddings.onStart(null);
            try {
                assertTrue(workerEmbeddings.find("all-minilm-l6-v2").isPresent());
            } finally {
                workerEmbeddings.close();
            }
        } finally {
            gateway.close();
        }

        ModelRegistry worker = registry(MaasConfig.Role.WORKER);
        try {
            assertTrue(worker.loadsWeights());
            assertFalse(worker.find("demo-tiny").orElseThrow().metadataOnly());
            assertTrue(weightsMapped(), "a worker maps its weights (the check above can fail)");
        } finally {
            worker.close();
        }
    }
}
