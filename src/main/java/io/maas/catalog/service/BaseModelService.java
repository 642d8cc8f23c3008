package io.maas.catalog.service;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.node.ArrayNode;

import io.maas.app.config.MaasConfig;
import io.maas.catalog.CatalogRejection;
import io.maas.catalog.archive.SafeArchive;
import io.maas.catalog.manifest.Manifest;
import io.maas.catalog.store.ContentStore;
import io.maas.gateway.inference.AdapterRegistry;
import io.maas.gateway.inference.ModelRegistry;
import io.maas.inference.engine.LlamaEngine;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.StartupEvent;

/**
 * Base models registered by platform admins from a server-side folder or archive: the same archive rules as adapters
 * (no links, safetensors only, bounded), loaded once by the engine as the check, stored by content under
 * {@code models/<id>/} in the store and served at once. At start every registered model is re-verified against its
 * recorded digests and loaded again; a model whose files changed is not served.
 */
@ApplicationScoped
public class BaseModelService {
    private static final Logger LOG = Logger.getLogger(BaseModelService.class);

    @Inject
    MaasConfig config;
    @Inject
    ContentStore store;
    @Inject
    CatalogRepository repo;
    @Inject
    ModelRegistry models;
    @Inject
    AdapterRegistry adapters;

    /** One registered base model. */
    public record Registered(String id, List<SafeArchive.Entry> files, long totalBytes) {
    }

    // After the models folder is loaded (2500), before the adapters folder is read (3000): adapters may name these.
    void onStart(@Observes @Priority(2700) StartupEvent event) {
        for (CatalogRepository.ModelRow row : repo.models()) {
            Path dir = store.modelDir(row.id());
            try {
                List<String> bad = store.corrupted(dir, row.files());
                if (!bad.isEmpty()) {
                    LOG.errorf("catalog: base model %s failed its digest check (%s); not served", row.id(), bad);
                    continue;
                }
                models.register(models.load(dir));
            } catch (IOException | RuntimeException e) {
                LOG.errorf("catalog: base model %s could not be loaded (%s); not served", row.id(), e.getMessage());
            }
        }
    }

    public Registered register(String id, Path source, String principal) {
        if (id == null || !Manifest.ID.matcher(id).matches()) {
            throw new CatalogRejection(400, "manifest_invalid", "'id' must match " + Manifest.ID.pattern());
        }
        if (source == null || !source.isAbsolute() || Files.isSymbolicLink(source)
                || !Files.exists(source, LinkOption.NOFOLLOW_LINKS)) {
            throw new CatalogRejection(400, "path_invalid", "'path' must be an existing absolute path, not a symbolic link");
        }
        if (models.find(id).isPresent() || repo.modelExists(id) || repo.adapterProvider(id).isPresent()
                || Files.exists(adapters.adaptersDir().resolve(id))) {
            throw new CatalogRejection(409, "model_id_taken", "'" + id + "' already names a model or an adapter");
        }
        Path staging = null;
        try {
            staging = store.newStaging();
            MaasConfig.Catalog c = config.catalog();
            SafeArchive.Limits limits = new SafeArchive.Limits(c.maxFiles(), c.maxFileBytes(), c.maxTotalBytes(),
                    c.maxCompressionRatio());
            // The folder is named after the id: the engine takes a model's id from its folder name.
            Path unpacked = staging.resolve(id);
            List<SafeArchive.Entry> files = Files.isDirectory(source, LinkOption.NOFOLLOW_LINKS)
                    ? SafeArchive.copyDirectory(source, unpacked, limits)
                    : SafeArchive.extract(source, unpacked, limits);
            if (!Files.isRegularFile(unpacked.resolve("config.json"))
                    || !(Files.isRegularFile(unpacked.resolve("model.safetensors"))
                            || Files.isRegularFile(unpacked.resolve("model.safetensors.index.json")))) {
                throw new CatalogRejection("model_files_missing", "a model needs config.json and model.safetensors"
                        + " (or model.safetensors.index.json with its shards) at its root");
            }
            // A gateway checks the files without mapping weights (headers against config, tokenizer, template).
            try (LlamaEngine check = models.load(unpacked)) {
                LOG.debugf("catalog: base model %s loads (%d max context tokens)", id, check.maxContextTokens());
            } catch (RuntimeException e) {
                throw new CatalogRejection("model_invalid", "the engine refuses the model: "
                        + String.valueOf(e.getMessage()).replace(unpacked.toString(), id));
            }
            Path dir = store.commitModel(unpacked, files, id);
            ArrayNode fileJson = CatalogRepository.JSON.createArrayNode();
            long total = 0;
            for (SafeArchive.Entry f : files) {
                fileJson.addObject().put("path", f.path()).put("sha256", f.sha256()).put("size_bytes", f.sizeBytes());
                total += f.sizeBytes();
            }
            long totalBytes = total;
            try {
                QuarkusTransaction.requiringNew().run(() -> {
                    files.forEach(f -> repo.insertBlob(f.sha256(), f.sizeBytes()));
                    repo.insertModel(id, fileJson, totalBytes, principal);
                });
                models.register(models.load(dir));
            } catch (RuntimeException e) {
                SafeArchive.deleteTree(dir);
                throw e;
            }
            LOG.infof("catalog: base model %s registered by %s (%d files, %d bytes)", id, principal, files.size(), total);
            return new Registered(id, files, total);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            if (staging != null) {
                try {
                    SafeArchive.deleteTree(staging);
                } catch (IOException e) {
                    LOG.warnf("could not delete staging %s: %s", staging, e.getMessage());
                }
            }
        }
    }

    /** For the detail view: the registered models and their files. */
    public List<CatalogRepository.ModelRow> list() {
        return repo.models();
    }
}
