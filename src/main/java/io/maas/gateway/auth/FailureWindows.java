package io.maas.gateway.auth;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Counts failed authentications per source in fixed windows: once a source has {@code limit} failures in
 * its current window, it is refused until the window ends. Tracks at most {@code maxSources} sources;
 * when full of live windows a new source is not tracked (it is not refused either: blocking everyone
 * because of a spoofed-source flood would be worse). Pure and clock-driven so it can be tested exactly.
 */
final class FailureWindows {
    private record Window(long startNanos, int failures) {
    }

    private final ConcurrentHashMap<String, Window> windows = new ConcurrentHashMap<>();
    private final int limit;
    private final long windowNanos;
    private final int maxSources;
    private final LongSupplier nanoClock;

    FailureWindows(int limit, Duration window, int maxSources, LongSupplier nanoClock) {
        if (limit < 1 || window.isNegative() || window.isZero() || maxSources < 1) {
            throw new IllegalArgumentException("limit, window and maxSources must be positive");
        }
        this.limit = limit;
        this.windowNanos = window.toNanos();
        this.maxSources = maxSources;
        this.nanoClock = nanoClock;
    }

    /** 0 if the source may try to authenticate, else the whole seconds until it may again (at least 1). */
    long retryAfterSeconds(String source) {
        Window w = windows.get(source);
        if (w == null || w.failures < limit) {
            return 0;
        }
        long left = w.startNanos + windowNanos - nanoClock.getAsLong();
        if (left <= 0) {
            windows.remove(source, w);
            return 0;
        }
        return Math.max(1, (left + 999_999_999L) / 1_000_000_000L);
    }

    void recordFailure(String source) {
        long now = nanoClock.getAsLong();
        if (!windows.containsKey(source) && windows.size() >= maxSources) {
            windows.values().removeIf(w -> now - w.startNanos >= windowNanos);
            if (windows.size() >= maxSources) {
                return;
            }
        }
        windows.compute(source, (k, w) -> w == null || now - w.startNanos >= windowNanos
                ? new Window(now, 1)
                : new Window(w.startNanos, Math.min(limit, w.failures + 1)));
    }

    int trackedSources() {
        return windows.size();
    }
}
