package io.maas.gateway.inference;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
import io.maas.inference.embedding.EmbeddingModel;
import io.quarkus.runtime.StartupEvent;

/** The embedding models this gateway serves: every model folder in the embeddings folder (id = folder name). */
@ApplicationScoped
public class EmbeddingRegistry {
    private static final Logger LOG = Logger.getLogger(EmbeddingRegistry.class);

    @Inject
    MaasConfig config;

    private volatile Map<String, EmbeddingModel> models = Map.of();

    void onStart(@Observes StartupEvent event) {
        Path dir = embeddingsDir();
        if (config.role() == MaasConfig.Role.GATEWAY) {
            // A gateway runs no model (docs/adr/0019-gateway-metadata-and-k8s-fleet.md): its embeddings requests go
            // to workers that report the model (WorkerFleet.embed).
            if (Files.isDirectory(dir)) {
                LOG.infof("role gateway: embedding models in %s are not loaded", dir);
            }
            return;
        }
        if (!Files.isDirectory(dir)) {
            return;
        }
        Map<String, EmbeddingModel> loaded = new TreeMap<>();
        try (Stream<Path> entries = Files.list(dir)) {
            for (Path candidate : entries.filter(EmbeddingModel::isModelDirectory).sorted().toList()) {
                EmbeddingModel model = EmbeddingModel.load(candidate);
                loaded.put(model.id(), model);
                LOG.infof("embedding model %s loaded from %s", model.id(), candidate);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the embeddings folder " + dir, e);
        }
        models = Collections.unmodifiableMap(loaded);
    }

    public Path embeddingsDir() {
        return config.embeddingsDir().orElse(config.dataDir().resolve("embeddings")).toAbsolutePath();
    }

    public Optional<EmbeddingModel> find(String id) {
        return Optional.ofNullable(models.get(id));
    }

    public List<String> modelIds() {
        return new ArrayList<>(models.keySet());
    }

    @PreDestroy
    void close() {
        models.values().forEach(EmbeddingModel::close);
        models = Map.of();
    }
}
