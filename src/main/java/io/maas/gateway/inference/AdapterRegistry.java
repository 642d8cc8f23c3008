package io.maas.gateway.inference;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.maas.app.config.MaasConfig;
import io.maas.app.observability.AdapterCacheMetrics;
import io.maas.inference.UnknownAdapterException;
import io.maas.inference.engine.LlamaEngine;
import io.maas.inference.lora.LoraAdapter;
import io.maas.inference.model.ModelGenerator;
import io.maas.inference.model.ModelShape;
import io.quarkus.runtime.StartupEvent;

/**
 * The LoRA adapters this gateway serves: every PEFT folder in the adapters folder (id = folder name), on the
 * served base model its {@code adapter_config.json} names. Adapters are loaded into their base's engine on first
 * use and kept resident up to the engine's LRU bound. The provider who earns on an adapter is read from an
 * optional {@code marketplace.json} ({@code {"provider": "..."}}); without it the platform owns the adapter.
 */
@ApplicationScoped
public class AdapterRegistry {
    public static final String MARKETPLACE_FILE = "marketplace.json";
    /** Owner of adapters that name no provider: the platform itself. */
    public static final String PLATFORM_PROVIDER = "maas";
    private static final Logger LOG = Logger.getLogger(AdapterRegistry.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    @Inject
    MaasConfig config;
    @Inject
    ModelRegistry models;
    @Inject
    AdapterCacheMetrics cacheMetrics;

    /**
     * Adapters served from elsewhere than the folder (the marketplace catalog, io.maas.catalog), asked after it.
     * {@code find} may throw an {@code OpenAiException} (e.g. 410 for a retired version).
     */
    public interface Source {
        Optional<AdapterEntry> find(String id);

        Collection<AdapterEntry> all();

        /** Whether a tenant may see and use one of this source's adapters; empty when the adapter is not its own. */
        Optional<Boolean> visibleTo(AdapterEntry adapter, String tenantId);

        /** Runs before the engine maps the adapter's files; throws to refuse the load (e.g. a digest mismatch). */
        void beforeLoad(AdapterEntry adapter);
    }

    @Inject
    jakarta.enterprise.inject.Instance<Source> sources;

    /** An adapter on the marketplace: where its files are, its base, and who earns on it. */
    public record AdapterEntry(String id, String baseModel, String provider, Path dir) {
    }

    private volatile Map<String, AdapterEntry> adapters = Map.of();

    // After the base models are loaded (ModelRegistry observes at the default priority 2500).
    void onStart(@Observes @Priority(3000) StartupEvent event) {
        Path dir = adaptersDir();
        try {
            Files.createDirectories(dir);
            if (config.demoModel().enabled() && adapterDirectories(dir).isEmpty()
                    && models.find(config.demoModel().id()).isPresent()) {
                generateDemoAdapter(dir.resolve(config.demoModel().id() + "-lora"));
            }
            Map<String, AdapterEntry> found = new TreeMap<>();
            for (Path candidate : adapterDirectories(dir)) {
                entry(candidate).ifPresent(e -> found.put(e.id(), e));
            }
            adapters = Collections.unmodifiableMap(found);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the adapters folder " + dir, e);
        }
    }

    public Path adaptersDir() {
        return config.adaptersDir().orElse(config.dataDir().resolve("adapters")).toAbsolutePath();
    }

    public Optional<AdapterEntry> find(String id) {
        AdapterEntry local = adapters.get(id);
        if (local != null) {
            return Optional.of(local);
        }
        for (Source source : sources) {
            Optional<AdapterEntry> found = source.find(id);
            if (found.isPresent()) {
                return found;
            }
        }
        return Optional.empty();
    }

    public Collection<AdapterEntry> all() {
        if (sources.isUnsatisfied()) {
            return adapters.values();
        }
        java.util.List<AdapterEntry> all = new java.util.ArrayList<>(adapters.values());
        sources.forEach(s -> all.addAll(s.all()));
        return all;
    }

    /** Whether the tenant may see and use the adapter: folder adapters are public; sources decide for theirs. */
    public boolean visibleTo(AdapterEntry adapter, String tenantId) {
        for (Source source : sources) {
            Optional<Boolean> visible = source.visibleTo(adapter, tenantId);
            if (visible.isPresent()) {
                return visible.get();
            }
        }
        return true;
    }

    /** Makes sure the adapter is resident in its base's engine (loading it, validated against the base, if not). */
    public void ensureLoaded(LlamaEngine engine, AdapterEntry adapter) {
        if (engine.adapter(adapter.id()).isPresent()) {
            cacheMetrics.hit();
            return;
        }
        synchronized (this) {
            if (engine.adapter(adapter.id()).isEmpty()) {
                sources.forEach(s -> s.beforeLoad(adapter));
                cacheMetrics.load(engine, () -> engine.loadAdapter(adapter.id(), adapter.dir()));
            }
        }
    }

    /** Runs the work with the adapter resident, loading it again once if the LRU bound evicted it meanwhile. */
    public <T> T withAdapter(LlamaEngine engine, AdapterEntry adapter, java.util.function.Supplier<T> work) {
        ensureLoaded(engine, adapter);
        try {
            return work.get();
        } catch (UnknownAdapterException evicted) {
            ensureLoaded(engine, adapter);
            return work.get();
        }
    }

    private Optional<AdapterEntry> entry(Path dir) {
        String id = dir.getFileName().toString();
        try {
            JsonNode config = JSON.readTree(dir.resolve(LoraAdapter.CONFIG_FILE).toFile());
            String declared = config.path("base_model_name_or_path").asText("");
            String base = baseOf(declared);
            if (base == null) {
                LOG.warnf("adapter %s names base model '%s', which this gateway does not serve; skipped", id, declared);
                return Optional.empty();
            }
            if (models.find(id).isPresent()) {
                LOG.warnf("adapter %s has the id of a base model; skipped", id);
                return Optional.empty();
            }
            String provider = PLATFORM_PROVIDER;
            Path marketplace = dir.resolve(MARKETPLACE_FILE);
            if (Files.exists(marketplace)) {
                String named = JSON.readTree(marketplace.toFile()).path("provider").asText("");
                if (!named.isBlank()) {
                    provider = named;
                }
            }
            return Optional.of(new AdapterEntry(id, base, provider, dir));
        } catch (IOException e) {
            LOG.warnf("adapter %s: unreadable %s (%s); skipped", id, LoraAdapter.CONFIG_FILE, e.getMessage());
            return Optional.empty();
        }
    }

    /** A served model whose id is the declared name, or its last path segment (Hugging Face "org/name"). */
    private String baseOf(String declared) {
        if (declared.isBlank()) {
            return null;
        }
        if (models.find(declared).isPresent()) {
            return declared;
        }
        String last = declared.substring(declared.lastIndexOf('/') + 1);
        return models.find(last).isPresent() ? last : null;
    }

    private static java.util.List<Path> adapterDirectories(Path dir) throws IOException {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.filter(p -> Files.isRegularFile(p.resolve(LoraAdapter.CONFIG_FILE)))
                    .filter(p -> !p.getFileName().toString().startsWith("."))
                    .sorted().toList();
        }
    }

    private void generateDemoAdapter(Path target) throws IOException {
        Path partial = target.resolveSibling("." + target.getFileName() + ".partial");
        if (Files.exists(partial)) {
            try (Stream<Path> walk = Files.walk(partial)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
        ModelGenerator.writeAdapter(partial, ModelShape.TINY, config.demoModel().id(), 8, 16.0,
                Set.copyOf(ModelGenerator.ADAPTER_MODULES), config.demoModel().seed() + 1, false);
        try {
            Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(partial, target);
        }
        LOG.infof("generated demo LoRA adapter %s on %s", target.getFileName(), config.demoModel().id());
    }
}
