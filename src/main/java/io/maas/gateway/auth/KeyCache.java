package io.maas.gateway.auth;

import java.time.Duration;
import java.util.Base64;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Authenticated API keys by the SHA-256 of their secret, each for at most {@code ttl}: the bound on how long
 * a key revoked on another gateway (or directly in the database) keeps working here. Holds at most
 * {@code maxEntries}; when full of live entries a new key is simply not cached (it is looked up in the
 * database on every request until room frees up), so memory stays bounded whatever the traffic.
 * Failed lookups are never cached: a flood of wrong keys cannot push out the good ones.
 */
final class KeyCache {
    private record Entry(ApiKeyService.KeyPrincipal principal, long expiresAtNanos) {
    }

    private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();
    private final long ttlNanos;
    private final int maxEntries;
    private final LongSupplier nanoClock;

    KeyCache(Duration ttl, int maxEntries, LongSupplier nanoClock) {
        if (ttl.isNegative() || maxEntries < 0) {
            throw new IllegalArgumentException("ttl and maxEntries must not be negative");
        }
        this.ttlNanos = ttl.toNanos();
        this.maxEntries = maxEntries;
        this.nanoClock = nanoClock;
    }

    Optional<ApiKeyService.KeyPrincipal> get(byte[] hash) {
        Entry entry = entries.get(key(hash));
        if (entry == null) {
            return Optional.empty();
        }
        if (nanoClock.getAsLong() - entry.expiresAtNanos >= 0) {
            entries.remove(key(hash), entry);
            return Optional.empty();
        }
        return Optional.of(entry.principal);
    }

    /** Caches the key unless caching is off (ttl 0) or the cache is full of entries still alive. */
    boolean put(byte[] hash, ApiKeyService.KeyPrincipal principal) {
        if (ttlNanos == 0 || maxEntries == 0) {
            return false;
        }
        long now = nanoClock.getAsLong();
        if (entries.size() >= maxEntries) {
            entries.values().removeIf(e -> now - e.expiresAtNanos >= 0);
            if (entries.size() >= maxEntries) {
                return false;
            }
        }
        entries.put(key(hash), new Entry(principal, now + ttlNanos));
        return true;
    }

    void invalidate(byte[] hash) {
        entries.remove(key(hash));
    }

    int size() {
        return entries.size();
    }

    static String key(byte[] hash) {
        return Base64.getEncoder().encodeToString(hash);
    }
}
