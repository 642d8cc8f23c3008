package io.maas.gateway.inference;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.maas.app.config.MaasConfig;
import io.maas.inference.engine.LlamaEngine;
import io.maas.inference.model.ModelGenerator;
import io.maas.inference.model.ModelShape;
import io.quarkus.runtime.StartupEvent;

/**
 * The base models this instance serves: every model directory in the models folder (id = folder name),
 * loaded at start. Generates the demo model first when the folder holds none. In role {@code gateway} models are
 * loaded metadata-only ({@link LlamaEngine#loadMetadata}: config, tokenizer, chat template; no weights mapped, no
 * PyTorch): generation runs on workers, the gateway only lists, counts and validates.
 */
@ApplicationScoped
public class ModelRegistry {
    private static final Logger LOG = Logger.getLogger(ModelRegistry.class);

    @Inject
    MaasConfig config;

    private volatile Map<String, LlamaEngine> engines = Map.of();
    private volatile Map<String, Instant> loadedAt = Map.of();

    void onStart(@Observes StartupEvent event) {
        Path modelsDir = modelsDir();
        try {
            Files.createDirectories(modelsDir);
            if (config.demoModel().enabled() && modelDirectories(modelsDir).isEmpty()) {
                generateDemoModel(modelsDir.resolve(config.demoModel().id()));
            }
            Map<String, LlamaEngine> loaded = new TreeMap<>();
            Map<String, Instant> times = new TreeMap<>();
            for (Path dir : modelDirectories(modelsDir)) {
                long started = System.nanoTime();
                LlamaEngine engine = load(dir);
                loaded.put(engine.modelId(), engine);
                times.put(engine.modelId(), Instant.now());
                LOG.infof("model %s loaded%s from %s in %d ms", engine.modelId(),
                        engine.metadataOnly() ? " (metadata only, no weights)"
                                : " (" + engine.computeThreads() + " intra-op thread(s) per step)",
                        dir, (System.nanoTime() - started) / 1_000_000);
            }
            engines = Collections.unmodifiableMap(loaded);
            loadedAt = Collections.unmodifiableMap(times);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the models folder " + modelsDir, e);
        }
    }

    /** Whether this instance's role loads weights; a gateway only needs metadata. */
    public boolean loadsWeights() {
        return config.role() != MaasConfig.Role.GATEWAY;
    }

    /** Loads a model directory as this instance's role needs it: with weights, or metadata only (gateway). */
    public LlamaEngine load(Path dir) {
        return loadsWeights() ? LlamaEngine.load(dir) : LlamaEngine.loadMetadata(dir);
    }

    public Path modelsDir() {
        return config.modelsDir().orElse(config.dataDir().resolve("models")).toAbsolutePath();
    }

    public Optional<LlamaEngine> find(String modelId) {
        return Optional.ofNullable(engines.get(modelId));
    }

    /** Serves a model loaded after start (base models registered through the marketplace catalog). */
    public synchronized void register(LlamaEngine engine) {
        if (engines.containsKey(engine.modelId())) {
            engine.close();
            throw new IllegalStateException("model " + engine.modelId() + " is already served");
        }
        Map<String, LlamaEngine> next = new TreeMap<>(engines);
        next.put(engine.modelId(), engine);
        Map<String, Instant> times = new TreeMap<>(loadedAt);
        times.put(engine.modelId(), Instant.now());
        engines = Collections.unmodifiableMap(next);
        loadedAt = Collections.unmodifiableMap(times);
    }

    /** When the model was loaded; the {@code created} time of its model card. */
    public Instant loadedAt(String modelId) {
        return loadedAt.getOrDefault(modelId, Instant.EPOCH);
    }

    public List<String> modelIds() {
        return new ArrayList<>(engines.keySet());
    }

    private static List<Path> modelDirectories(Path modelsDir) throws IOException {
        try (Stream<Path> entries = Files.list(modelsDir)) {
            return entries.filter(p -> Files.isRegularFile(p.resolve("config.json")))
                    .filter(p -> !p.getFileName().toString().startsWith("."))
                    .sorted()
                    .toList();
        }
    }

    /** Written into a hidden folder and renamed, so a crash mid-way never leaves a half model behind. */
    private void generateDemoModel(Path target) throws IOException {
        Path partial = target.resolveSibling("." + target.getFileName() + ".partial");
        deleteRecursively(partial);
        long started = System.nanoTime();
        ModelGenerator.write(partial, ModelShape.TINY, config.demoModel().seed());
        try {
            Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(partial, target);
        }
        LOG.infof("generated demo model %s (random weights, shape %s) in %d ms", target, ModelShape.TINY.name(),
                (System.nanoTime() - started) / 1_000_000);
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    @PreDestroy
    void close() {
        for (LlamaEngine engine : engines.values()) {
            try {
                engine.close();
            } catch (RuntimeException e) {
                LOG.warnf(e, "model %s did not close cleanly", engine.modelId());
            }
        }
        engines = Map.of();
    }
}
