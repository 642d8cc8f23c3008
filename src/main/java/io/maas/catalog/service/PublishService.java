package io.maas.catalog.service;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.PublicKey;
import java.util.List;
import java.util.Locale;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;

import io.maas.app.config.MaasConfig;
import io.maas.catalog.CatalogRejection;
import io.maas.catalog.archive.SafeArchive;
import io.maas.catalog.manifest.Manifest;
import io.maas.catalog.signing.ManifestSignature;
import io.maas.catalog.store.ContentStore;
import io.maas.gateway.inference.AdapterRegistry;
import io.maas.gateway.inference.ModelRegistry;
import io.maas.inference.ModelFormatException;
import io.maas.inference.engine.LlamaEngine;
import io.maas.inference.lora.LoraAdapter;
import io.quarkus.narayana.jta.QuarkusTransaction;

/**
 * Publishes an adapter version: the upload is streamed into staging (bounded), unpacked safely, its manifest,
 * license, signature and weights (by the engine, against the named base) checked, and only then its files moved into
 * the content-addressed store and the version recorded as a draft. Any refusal names its rule and leaves nothing
 * behind: staging is deleted whatever happens.
 */
@ApplicationScoped
public class PublishService {
    private static final Logger LOG = Logger.getLogger(PublishService.class);

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

    /** Who publishes: the provider (a tenant holding the provider role), or a platform admin acting for one. */
    public record Publisher(String provider, String principal, boolean admin) {
    }

    /** Streams the request body into staging, refusing it past {@code maas.catalog.max-upload-bytes}. */
    public CatalogRepository.VersionRow upload(Publisher who, InputStream body) {
        return withStaging(staging -> {
            Path archive = staging.resolve("upload.archive");
            long max = config.catalog().maxUploadBytes();
            long total = 0;
            byte[] buf = new byte[64 * 1024];
            try (OutputStream out = Files.newOutputStream(archive, StandardOpenOption.CREATE_NEW)) {
                int n;
                while ((n = body.read(buf)) > 0) {
                    total += n;
                    if (total > max) {
                        throw new CatalogRejection(413, "upload_too_large", "the upload is larger than " + max
                                + " bytes (maas.catalog.max-upload-bytes)");
                    }
                    out.write(buf, 0, n);
                }
            }
            return publish(who, staging, SafeArchive.extract(archive, staging.resolve("files"), limits()));
        });
    }

    /** An archive or a folder already on the server (platform admins only), checked exactly like an upload. */
    public CatalogRepository.VersionRow register(Publisher who, Path source) {
        if (!source.isAbsolute()) {
            throw new CatalogRejection(400, "path_invalid", "'path' must be an absolute path on the server");
        }
        if (Files.isSymbolicLink(source) || !Files.exists(source, LinkOption.NOFOLLOW_LINKS)) {
            throw new CatalogRejection(400, "path_invalid", "'path' does not exist or is a symbolic link");
        }
        return withStaging(staging -> {
            List<SafeArchive.Entry> files = Files.isDirectory(source, LinkOption.NOFOLLOW_LINKS)
                    ? SafeArchive.copyDirectory(source, staging.resolve("files"), limits())
                    : SafeArchive.extract(source, staging.resolve("files"), limits());
            return publish(who, staging, files);
        });
    }

    private interface StagedWork {
        CatalogRepository.VersionRow run(Path staging) throws IOException;
    }

    private CatalogRepository.VersionRow withStaging(StagedWork work) {
        Path staging = null;
        try {
            staging = store.newStaging();
            return work.run(staging);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            if (staging != null) {
                try {
                    SafeArchive.deleteTree(staging);
                } catch (IOException e) {
                    LOG.warnf("could not delete upload staging %s: %s", staging, e.getMessage());
                }
            }
        }
    }

    private SafeArchive.Limits limits() {
        MaasConfig.Catalog c = config.catalog();
        return new SafeArchive.Limits(c.maxFiles(), c.maxFileBytes(), c.maxTotalBytes(), c.maxCompressionRatio());
    }

    private CatalogRepository.VersionRow publish(Publisher who, Path staging, List<SafeArchive.Entry> unpacked)
            throws IOException {
        Path root = staging.resolve("files");
        // An archive whose files all sit in one top folder ("my-adapter/...") is read from inside that folder.
        String prefix = commonTopFolder(unpacked);
        if (prefix != null) {
            root = root.resolve(prefix);
            unpacked = unpacked.stream().map(e -> new SafeArchive.Entry(e.path().substring(prefix.length() + 1),
                    e.sha256(), e.sizeBytes())).toList();
        }
        List<SafeArchive.Entry> files = unpacked;
        Manifest m = Manifest.read(root.resolve(Manifest.FILE));
        String provider = who.provider();
        if (m.provider() != null && !m.provider().equals(provider)) {
            if (!who.admin()) {
                throw new CatalogRejection(403, "provider_mismatch", "the manifest names provider '" + m.provider()
                        + "' but you publish as '" + provider + "'");
            }
            provider = m.provider();
        }
        String owner = repo.adapterProvider(m.id()).orElse(provider);
        if (!owner.equals(provider) || models.find(m.id()).isPresent()
                || Files.exists(adapters.adaptersDir().resolve(m.id()))) {
            throw new CatalogRejection(409, "adapter_id_taken", "the adapter id '" + m.id()
                    + "' belongs to another provider or names a served model");
        }
        if (repo.versionExists(m.id(), m.version().text())) {
            throw new CatalogRejection(409, "version_exists", m.servedId() + " already exists; versions are immutable,"
                    + " publish a new version instead");
        }
        if (!Files.isRegularFile(root.resolve(LoraAdapter.CONFIG_FILE))
                || !Files.isRegularFile(root.resolve(LoraAdapter.WEIGHTS_FILE))) {
            throw new CatalogRejection("adapter_files_missing", "an adapter archive needs " + LoraAdapter.CONFIG_FILE
                    + " and " + LoraAdapter.WEIGHTS_FILE + " at its root");
        }
        LlamaEngine base = models.find(m.baseModel()).orElseThrow(() -> new CatalogRejection("base_model_unknown",
                "base model '" + m.baseModel() + "' is not served here (served: " + models.modelIds() + ")"));
        String declared = declaredBase(root.resolve(LoraAdapter.CONFIG_FILE));
        String last = declared.substring(declared.lastIndexOf('/') + 1);
        if (!declared.equals(m.baseModel()) && !last.equals(m.baseModel())) {
            throw new CatalogRejection("base_model_mismatch", LoraAdapter.CONFIG_FILE + " names base model '" + declared
                    + "' but the manifest publishes it on '" + m.baseModel() + "'");
        }
        checkLicense(m.license());
        boolean signed = Files.exists(root.resolve(Manifest.SIGNATURE_FILE));
        if (signed) {
            String signer = provider;
            String keyText = repo.providerKey(signer).orElseThrow(() -> new CatalogRejection("signature_key_missing",
                    "the version is signed but provider '" + signer + "' has registered no public key"
                            + " (PUT /v1/catalog/provider-key)"));
            PublicKey key = ManifestSignature.parsePublicKey(keyText);
            String signature = Files.readString(root.resolve(Manifest.SIGNATURE_FILE), StandardCharsets.US_ASCII);
            ManifestSignature.verify(key, ManifestSignature.canonical(files), signature);
        }
        try {
            base.validateAdapter(root);
        } catch (ModelFormatException e) {
            throw new CatalogRejection("adapter_invalid", "the adapter does not fit base model '" + m.baseModel()
                    + "': " + e.getMessage().replace(root.toString(), "").replace("//", "/"));
        }
        Path versionDir = store.commit(root, files, m.id(), m.version().text());
        ArrayNode fileJson = CatalogRepository.JSON.createArrayNode();
        long total = 0;
        for (SafeArchive.Entry f : files) {
            fileJson.addObject().put("path", f.path()).put("sha256", f.sha256()).put("size_bytes", f.sizeBytes());
            total += f.sizeBytes();
        }
        long totalBytes = total;
        String owningProvider = provider;
        List<SafeArchive.Entry> stored = files;
        try {
            QuarkusTransaction.requiringNew().run(() -> {
                stored.forEach(f -> repo.insertBlob(f.sha256(), f.sizeBytes()));
                repo.insertVersion(owningProvider, new CatalogRepository.NewVersion(m.id(), m.version().text(),
                        m.version().major(), m.version().minor(), m.version().patch(), m.version().isRelease(),
                        m.baseModel(), m.displayName(), m.description(), m.tags(), m.license(),
                        m.priceInputMicrosPerToken(), m.priceOutputMicrosPerToken(), m.claims(), m.raw(), fileJson,
                        totalBytes, signed, m.visibility(), m.tenants(), who.principal()));
            });
        } catch (RuntimeException e) {
            SafeArchive.deleteTree(versionDir); // blobs stay: content-addressed, possibly shared
            if (repo.versionExists(m.id(), m.version().text())) {
                throw new CatalogRejection(409, "version_exists", m.servedId() + " already exists");
            }
            throw e;
        }
        LOG.infof("catalog: %s stored as a draft by %s (%d files, %d bytes, %s)", m.servedId(), who.principal(),
                files.size(), totalBytes, signed ? "signed" : "unsigned");
        return repo.versions(m.id(), true).stream().filter(v -> v.version().equals(m.version().text())).findFirst()
                .orElseThrow();
    }

    private void checkLicense(String spdx) {
        String decision = repo.licenseDecision(spdx).orElse(config.catalog().licenseDefault().toLowerCase(Locale.ROOT));
        if (!decision.equals("allow")) {
            throw new CatalogRejection("license_denied", "license '" + spdx + "' is not allowed for hosted adapters by"
                    + " the platform's license policy");
        }
    }

    private static String declaredBase(Path adapterConfig) {
        try {
            JsonNode node = CatalogRepository.JSON.readTree(adapterConfig.toFile());
            return node.path("base_model_name_or_path").asText("");
        } catch (IOException e) {
            throw new CatalogRejection("adapter_invalid", LoraAdapter.CONFIG_FILE + " is not valid JSON");
        }
    }

    private static String commonTopFolder(List<SafeArchive.Entry> files) {
        String top = null;
        for (SafeArchive.Entry f : files) {
            int slash = f.path().indexOf('/');
            if (slash < 0) {
                return null;
            }
            String first = f.path().substring(0, slash);
            if (top != null && !top.equals(first)) {
                return null;
            }
            top = first;
        }
        return top;
    }
}
