package io.maas.gateway.auth;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.maas.app.config.MaasConfig;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;

/**
 * Records when each API key was last used, off the request thread: a request only notes the key in
 * memory (at most once per key per {@code last-used-granularity}); a background thread writes the noted
 * times in one batch every {@code last-used-flush-interval}. Pending notes are bounded by
 * {@code key-cache-max-entries}; beyond it a note is dropped (last-used is informational, never a reason
 * to slow or fail a request). A crash loses at most one flush interval of notes.
 */
@ApplicationScoped
public class LastUsedRecorder {
    private static final Logger LOG = Logger.getLogger(LastUsedRecorder.class);
    private static final String UPDATE = "update api_keys set last_used_at = ? where id = ?"
            + " and (last_used_at is null or last_used_at < ?)";

    @Inject
    MaasConfig config;
    @Inject
    DataSource dataSource;

    private final Map<UUID, Instant> pending = new ConcurrentHashMap<>();
    private final Map<UUID, Long> lastNotedNanos = new ConcurrentHashMap<>();
    private ScheduledExecutorService flusher;

    void onStart(@Observes StartupEvent event) {
        flusher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "maas-last-used");
            t.setDaemon(true);
            return t;
        });
        long everyMs = Math.max(1, config.auth().lastUsedFlushInterval().toMillis());
        flusher.scheduleWithFixedDelay(this::flushQuietly, everyMs, everyMs, TimeUnit.MILLISECONDS);
    }

    void onStop(@Observes ShutdownEvent event) {
        if (flusher != null) {
            flusher.shutdown();
            try {
                flusher.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            flushQuietly();
        }
    }

    /** Called on every authenticated request: cheap, never blocks, never touches the database. */
    public void touch(UUID keyId) {
        long now = System.nanoTime();
        Long last = lastNotedNanos.get(keyId);
        if (last != null && now - last < config.auth().lastUsedGranularity().toNanos()) {
            return;
        }
        int bound = config.auth().keyCacheMaxEntries();
        if (lastNotedNanos.size() >= bound) {
            lastNotedNanos.clear(); // forgetting only means one extra note per key
        }
        lastNotedNanos.put(keyId, now);
        if (pending.size() < bound) {
            pending.put(keyId, Instant.now());
        }
    }

    /** Writes the pending notes; returns how many keys were written. */
    public int flush() throws SQLException {
        List<Map.Entry<UUID, Instant>> batch = new ArrayList<>();
        for (UUID id : List.copyOf(pending.keySet())) {
            Instant at = pending.remove(id);
            if (at != null) {
                batch.add(Map.entry(id, at));
            }
        }
        if (batch.isEmpty()) {
            return 0;
        }
        try (Connection c = dataSource.getConnection(); PreparedStatement update = c.prepareStatement(UPDATE)) {
            for (Map.Entry<UUID, Instant> e : batch) {
                Timestamp at = Timestamp.from(e.getValue());
                update.setTimestamp(1, at);
                update.setObject(2, e.getKey());
                update.setTimestamp(3, at);
                update.addBatch();
            }
            update.executeBatch();
        }
        return batch.size();
    }

    private void flushQuietly() {
        try {
            flush();
        } catch (SQLException | RuntimeException e) {
            LOG.warnf("could not record API key last-used times (will retry with later uses): %s", e.toString());
        }
    }
}
