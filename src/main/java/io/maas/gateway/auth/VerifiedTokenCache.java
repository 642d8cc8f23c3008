package io.maas.gateway.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.maas.app.config.MaasConfig;
import io.quarkus.security.identity.SecurityIdentity;

/**
 * Identities of access tokens that passed OIDC validation (signature, issuer, expiry) and tenant mapping, keyed
 * by the SHA-256 of the whole token, so a client that reuses its token skips the RS256 check (~35-50 µs) on
 * later requests. An entry lives for {@code maas.auth.key-cache-ttl} and never past the token's {@code exp};
 * every membership change empties it. Failed validations are never cached. Bounded by
 * {@code maas.auth.key-cache-max-entries} (emptied when full).
 */
@ApplicationScoped
public class VerifiedTokenCache {
    private record Entry(SecurityIdentity identity, long expiresAtNanos) {
    }

    @Inject
    MaasConfig config;

    private final Map<String, Entry> entries = new ConcurrentHashMap<>();
    private long ttlNanos;
    private int maxEntries;
    private LongSupplier nanoClock = System::nanoTime;

    public VerifiedTokenCache() {
    }

    /** For benchmarks and unit tests, outside CDI. */
    VerifiedTokenCache(Duration ttl, int maxEntries, LongSupplier nanoClock) {
        this.ttlNanos = ttl.toNanos();
        this.maxEntries = maxEntries;
        this.nanoClock = nanoClock;
    }

    @PostConstruct
    void init() {
        ttlNanos = config.auth().keyCacheTtl().toNanos();
        maxEntries = config.auth().keyCacheMaxEntries();
    }

    /** The identity this exact token was given, if validated within the TTL and not yet expired. */
    public Optional<SecurityIdentity> get(String rawToken) {
        if (ttlNanos <= 0 || rawToken == null) {
            return Optional.empty();
        }
        String key = key(rawToken);
        Entry entry = entries.get(key);
        if (entry == null) {
            return Optional.empty();
        }
        if (nanoClock.getAsLong() - entry.expiresAtNanos() >= 0) {
            entries.remove(key, entry);
            return Optional.empty();
        }
        return Optional.of(entry.identity());
    }

    /** Remembers a validated token's final identity until min(now + TTL, the token's expiry). */
    public void put(String rawToken, long expiresAtEpochSecond, SecurityIdentity identity) {
        if (ttlNanos <= 0 || rawToken == null) {
            return;
        }
        long untilExpiryNanos = (expiresAtEpochSecond * 1000 - System.currentTimeMillis()) * 1_000_000L;
        long lifeNanos = Math.min(ttlNanos, untilExpiryNanos);
        if (lifeNanos <= 0) {
            return;
        }
        if (entries.size() >= maxEntries) {
            entries.clear();
        }
        entries.put(key(rawToken), new Entry(identity, nanoClock.getAsLong() + lifeNanos));
    }

    /** Forgets every token (a membership changed: tenants and roles of cached identities may be stale). */
    public void clear() {
        entries.clear();
    }

    public int size() {
        return entries.size();
    }

    private static String key(String rawToken) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(rawToken.getBytes(StandardCharsets.US_ASCII));
            return Base64.getEncoder().encodeToString(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java runtime", e);
        }
    }
}
