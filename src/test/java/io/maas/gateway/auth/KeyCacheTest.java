package io.maas.gateway.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

class KeyCacheTest {
    private final AtomicLong now = new AtomicLong(1_000);
    private final KeyCache cache = new KeyCache(Duration.ofSeconds(5), 2, now::get);

    private static ApiKeyService.KeyPrincipal principal() {
        return new ApiKeyService.KeyPrincipal(UUID.randomUUID(), "t", Set.of(Roles.TENANT_MEMBER), Set.of());
    }

    private static byte[] hash(String s) {
        return ApiKeySecrets.hash(s);
    }

    @Test
    void entryIsServedUntilTheTtlAndNeverAfter() {
        var p = principal();
        cache.put(hash("a"), p);
        now.addAndGet(Duration.ofSeconds(5).toNanos() - 1);
        assertEquals(p, cache.get(hash("a")).orElseThrow());
        now.addAndGet(1);
        assertTrue(cache.get(hash("a")).isEmpty(), "at the TTL the key must be looked up again");
        assertEquals(0, cache.size());
    }

    @Test
    void invalidatedEntryIsGoneAtOnce() {
        cache.put(hash("a"), principal());
        cache.invalidate(hash("a"));
        assertTrue(cache.get(hash("a")).isEmpty());
    }

    @Test
    void fullCacheOfLiveEntriesCachesNothingMoreAndMakesRoomFromExpiredOnes() {
        assertTrue(cache.put(hash("a"), principal()));
        assertTrue(cache.put(hash("b"), principal()));
        assertFalse(cache.put(hash("c"), principal()), "the bound holds");
        assertTrue(cache.get(hash("c")).isEmpty());
        now.addAndGet(Duration.ofSeconds(6).toNanos());
        assertTrue(cache.put(hash("c"), principal()), "expired entries are purged to make room");
        assertEquals(1, cache.size());
    }

    @Test
    void zeroTtlTurnsCachingOff() {
        KeyCache off = new KeyCache(Duration.ZERO, 10, now::get);
        assertFalse(off.put(hash("a"), principal()));
        assertTrue(off.get(hash("a")).isEmpty());
    }
}
