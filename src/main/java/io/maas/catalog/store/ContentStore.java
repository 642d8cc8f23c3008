package io.maas.catalog.store;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.maas.app.config.MaasConfig;
import io.maas.catalog.archive.SafeArchive;

/**
 * The content-addressed store of published files under {@code maas.catalog.store-dir}: {@code blobs/sha256/ab/<hex>}
 * holds each distinct file once (read-only), {@code versions/<id>/<version>/} holds hard links to the blobs under
 * the files' names (the engine memory-maps weights from there), {@code staging/} holds uploads while they are
 * checked. Nothing outside this root is ever written.
 */
@ApplicationScoped
public class ContentStore {
    @Inject
    MaasConfig config;

    /**
     * Staging left by a crash mid-upload is removed at start; only folders older than a day, since replicas sharing
     * the store may be staging uploads right now.
     */
    void onStart(@jakarta.enterprise.event.Observes io.quarkus.runtime.StartupEvent event) {
        Path staging = root().resolve("staging");
        if (!Files.isDirectory(staging)) {
            return;
        }
        java.time.Instant cutoff = java.time.Instant.now().minus(java.time.Duration.ofDays(1));
        try (java.util.stream.Stream<Path> list = Files.list(staging)) {
            for (Path p : list.toList()) {
                if (Files.getLastModifiedTime(p).toInstant().isBefore(cutoff)) {
                    SafeArchive.deleteTree(p);
                }
            }
        } catch (IOException e) {
            org.jboss.logging.Logger.getLogger(ContentStore.class).warnf("could not clean %s: %s", staging, e.getMessage());
        }
    }

    public Path root() {
        return config.catalog().storeDir().orElse(config.dataDir().resolve("catalog")).toAbsolutePath().normalize();
    }

    /** A fresh, empty staging folder for one upload; the caller deletes it whatever happens. */
    public Path newStaging() throws IOException {
        Path dir = root().resolve("staging").resolve(UUID.randomUUID().toString());
        Files.createDirectories(dir);
        return dir;
    }

    public Path blob(String sha256) {
        return root().resolve("blobs").resolve("sha256").resolve(sha256.substring(0, 2)).resolve(sha256);
    }

    public Path versionDir(String id, String version) {
        return root().resolve("versions").resolve(id).resolve(version);
    }

    /**
     * Moves each staged file into its blob (a blob already there is kept: deduplicated) and links the version's
     * folder to them, built under a hidden name and renamed so a crash never leaves a half version.
     */
    public Path commit(Path unpacked, List<SafeArchive.Entry> files, String id, String version) throws IOException {
        return commitTo(unpacked, files, versionDir(id, version));
    }

    /** The folder of a base model registered through the catalog; the engine names the model after it. */
    public Path modelDir(String id) {
        return root().resolve("models").resolve(id);
    }

    /** {@link #commit} for a base model: its files linked under {@code models/<id>/}. */
    public Path commitModel(Path unpacked, List<SafeArchive.Entry> files, String id) throws IOException {
        return commitTo(unpacked, files, modelDir(id));
    }

    private Path commitTo(Path unpacked, List<SafeArchive.Entry> files, Path target) throws IOException {
        for (SafeArchive.Entry f : files) {
            Path blob = blob(f.sha256());
            if (Files.exists(blob)) {
                continue;
            }
            Files.createDirectories(blob.getParent());
            Path tmp = blob.resolveSibling("." + f.sha256() + "." + UUID.randomUUID() + ".tmp");
            Files.copy(unpacked.resolve(f.path()), tmp);
            tmp.toFile().setReadOnly();
            try {
                Files.move(tmp, blob, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException e) {
                Files.deleteIfExists(tmp); // another upload stored the same content meanwhile
            }
        }
        Path partial = target.resolveSibling("." + target.getFileName() + "." + UUID.randomUUID() + ".partial");
        Files.createDirectories(partial);
        try {
            for (SafeArchive.Entry f : files) {
                Path link = partial.resolve(f.path());
                Files.createDirectories(link.getParent());
                try {
                    Files.createLink(link, blob(f.sha256()));
                } catch (UnsupportedOperationException e) {
                    Files.copy(blob(f.sha256()), link);
                }
            }
            try {
                Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                if (!Files.exists(target, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    throw e;
                }
                // Two uploads of the same new version raced and the other stored it first (Linux reports a
                // non-empty target as a plain FileSystemException "Directory not empty").
                throw new io.maas.catalog.CatalogRejection(409, "version_exists", target.getParent().getFileName() + "/"
                        + target.getFileName() + " is already stored; versions are immutable");
            }
        } catch (IOException | RuntimeException e) {
            SafeArchive.deleteTree(partial);
            throw e;
        }
        return target;
    }

    /** The files of a version whose content no longer has its recorded digest (empty = intact). */
    public List<String> corrupted(Path versionDir, Map<String, String> digests) throws IOException {
        List<String> bad = new java.util.ArrayList<>();
        for (Map.Entry<String, String> e : digests.entrySet()) {
            Path file = versionDir.resolve(e.getKey());
            if (!Files.isRegularFile(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)
                    || !SafeArchive.sha256(file).equals(e.getValue())) {
                bad.add(e.getKey());
            }
        }
        return bad;
    }
}
