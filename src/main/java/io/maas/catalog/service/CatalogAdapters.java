package io.maas.catalog.service;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.maas.app.config.MaasConfig;
import io.maas.catalog.store.ContentStore;
import io.maas.gateway.api.OpenAiException;
import io.maas.gateway.inference.AdapterRegistry;
import io.quarkus.arc.Arc;
import io.quarkus.vertx.http.runtime.CurrentVertxRequest;
import io.vertx.ext.web.RoutingContext;

/**
 * The catalog's adapter versions as the gateway serves them: {@code id@version} for a version, {@code id} for the
 * latest published one (semver precedence; the latest deprecated one when none is published). Deprecated versions
 * serve with a {@code Deprecation} header; retired ones answer 410 naming their successor; drafts are not served.
 * Reads a snapshot of the catalog, refreshed after local changes and at most {@code maas.catalog.cache-ttl} old.
 */
@ApplicationScoped
public class CatalogAdapters implements AdapterRegistry.Source {
    private static final Logger LOG = Logger.getLogger(CatalogAdapters.class);

    @Inject
    CatalogRepository repo;
    @Inject
    ContentStore store;
    @Inject
    MaasConfig config;
    @Inject
    CurrentVertxRequest currentRequest;

    /** One servable (or retired) version. */
    record Served(CatalogRepository.VersionRow row, AdapterRegistry.AdapterEntry entry) {
    }

    private record Snapshot(Map<String, Served> byServedId, Map<String, Served> latest, Map<String, Served> lastRetired,
            Instant readAt) {
    }

    private volatile Snapshot snapshot;
    /** Bumped by each invalidation, so a read that overlapped a change is not kept as fresh. */
    private final java.util.concurrent.atomic.AtomicLong generation = new java.util.concurrent.atomic.AtomicLong();

    /**
     * Forgets the snapshot: the next look-up reads the catalog again. Call it after the change has committed (a
     * reload between an uncommitted change and its commit would otherwise be kept for the whole TTL).
     */
    public void invalidate() {
        generation.incrementAndGet();
        snapshot = null;
    }

    private Snapshot snapshot() {
        Snapshot s = snapshot;
        if (s != null && s.readAt().plus(config.catalog().cacheTtl()).isAfter(Instant.now())) {
            return s;
        }
        synchronized (this) {
            s = snapshot;
            if (s != null && s.readAt().plus(config.catalog().cacheTtl()).isAfter(Instant.now())) {
                return s;
            }
            long readingGeneration = generation.get();
            Map<String, Served> all = new HashMap<>();
            Map<String, Served> latest = new HashMap<>();
            Map<String, Served> lastRetired = new HashMap<>();
            // Rows come in ascending semver order per adapter: the last one seen wins.
            List<CatalogRepository.VersionRow> rows = repo.versions(null, false);
            for (CatalogRepository.VersionRow r : rows) {
                Served served = new Served(r, new AdapterRegistry.AdapterEntry(r.servedId(), r.baseModel(), r.provider(),
                        store.versionDir(r.adapterId(), r.version())));
                all.put(r.servedId(), served);
                if (r.status().equals("retired")) {
                    lastRetired.put(r.adapterId(), served);
                }
            }
            for (String status : List.of("deprecated", "published")) {
                for (CatalogRepository.VersionRow r : rows) {
                    if (r.status().equals(status)) {
                        latest.put(r.adapterId(), all.get(r.servedId()));
                    }
                }
            }
            s = new Snapshot(Map.copyOf(all), Map.copyOf(latest), Map.copyOf(lastRetired), Instant.now());
            // Kept only if no change was announced while reading; otherwise used once and read again next time.
            snapshot = generation.get() == readingGeneration ? s : null;
            return s;
        }
    }

    @Override
    public Optional<AdapterRegistry.AdapterEntry> find(String id) {
        Snapshot s = snapshot();
        Served served = id.indexOf('@') > 0 ? s.byServedId().get(id) : s.latest().get(id);
        if (served == null && id.indexOf('@') < 0) {
            served = s.lastRetired().get(id);
        }
        if (served == null) {
            return Optional.empty();
        }
        CatalogRepository.VersionRow r = served.row();
        if (r.status().equals("retired")) {
            throw new OpenAiException(410, OpenAiException.INVALID_REQUEST, "The model '" + id + "' (" + r.servedId()
                    + ") is retired" + (r.successor() == null ? " and has no successor." : "; use '" + r.successor()
                            + "' instead."), "model", "model_retired",
                    r.successor() == null ? Map.of() : Map.of("Link", "</v1/models/" + r.successor()
                            + ">; rel=\"successor-version\""));
        }
        if (r.status().equals("deprecated")) {
            markDeprecated(r);
        }
        return Optional.of(served.entry());
    }

    @Override
    public Collection<AdapterRegistry.AdapterEntry> all() {
        return snapshot().byServedId().values().stream().filter(s -> !s.row().status().equals("retired"))
                .map(Served::entry).sorted(java.util.Comparator.comparing(AdapterRegistry.AdapterEntry::id)).toList();
    }

    @Override
    public Optional<Boolean> visibleTo(AdapterRegistry.AdapterEntry adapter, String tenantId) {
        Served s = snapshot().byServedId().get(adapter.id());
        if (s == null || !s.entry().dir().equals(adapter.dir())) {
            return Optional.empty();
        }
        CatalogRepository.VersionRow r = s.row();
        return Optional.of(r.visibility().equals("public") || r.provider().equals(tenantId)
                || r.tenants().contains(tenantId));
    }

    /** Re-verifies every file's SHA-256 before the engine maps the version: a changed file refuses to load. */
    @Override
    public void beforeLoad(AdapterRegistry.AdapterEntry adapter) {
        Served s = snapshot().byServedId().get(adapter.id());
        if (s == null || !s.entry().dir().equals(adapter.dir())) {
            return;
        }
        List<String> bad;
        try {
            bad = store.corrupted(adapter.dir(), s.row().files());
        } catch (IOException e) {
            bad = List.of(e.getMessage());
        }
        if (!bad.isEmpty()) {
            LOG.errorf("catalog: %s failed its digest check (%s); not loaded", adapter.id(), bad);
            throw new OpenAiException(503, OpenAiException.SERVER, "The adapter '" + adapter.id()
                    + "' failed its integrity check and cannot be served.", "model", "adapter_integrity_failed");
        }
    }

    private void markDeprecated(CatalogRepository.VersionRow r) {
        if (!Arc.container().requestContext().isActive()) {
            return;
        }
        RoutingContext rc = currentRequest.getCurrent();
        if (rc == null || rc.response().headWritten()) {
            return;
        }
        // RFC 9745: the moment the version was deprecated, as an epoch-seconds structured date.
        long since = r.deprecatedAt() == null ? Instant.now().getEpochSecond() : r.deprecatedAt().getEpochSecond();
        rc.response().headers().set("Deprecation", "@" + since);
        if (r.successor() != null) {
            rc.response().headers().set("Link", "</v1/models/" + r.successor() + ">; rel=\"successor-version\"");
        }
    }

    /** The store folder of a version (for tests and the detail view). */
    public Path versionDir(String id, String version) {
        return store.versionDir(id, version);
    }
}
