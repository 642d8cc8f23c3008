package io.maas.gateway.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.runtime.QuarkusPrincipal;
import io.quarkus.security.runtime.QuarkusSecurityIdentity;

/** The verified-token cache keeps an identity for the TTL at most, never past the token's expiry, and is bounded. */
class VerifiedTokenCacheTest {
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final SecurityIdentity identity = QuarkusSecurityIdentity.builder()
            .setPrincipal(new QuarkusPrincipal("acme-dev")).addRole(Roles.TENANT_MEMBER).build();

    private static long inSeconds(long seconds) {
        return System.currentTimeMillis() / 1000 + seconds;
    }

    @Test
    void anEntryLivesForTheTtlAtMost() {
        VerifiedTokenCache cache = new VerifiedTokenCache(Duration.ofSeconds(5), 100, now::get);
        cache.put("token-a", inSeconds(300), identity);
        assertSame(identity, cache.get("token-a").orElseThrow());
        assertTrue(cache.get("token-b").isEmpty());
        now.addAndGet(Duration.ofSeconds(5).toNanos());
        assertTrue(cache.get("token-a").isEmpty(), "past the TTL");
    }

    @Test
    void anEntryNeverOutlivesTheTokensExpiry() {
        VerifiedTokenCache cache = new VerifiedTokenCache(Duration.ofMinutes(5), 100, now::get);
        cache.put("short", inSeconds(2), identity);
        assertTrue(cache.get("short").isPresent());
        now.addAndGet(Duration.ofSeconds(3).toNanos());
        assertTrue(cache.get("short").isEmpty(), "past exp");
        cache.put("expired", inSeconds(-1), identity);
        assertTrue(cache.get("expired").isEmpty(), "an expired token is not remembered");
    }

    @Test
    void clearForgetsEverythingAndTheSizeIsBounded() {
        VerifiedTokenCache cache = new VerifiedTokenCache(Duration.ofMinutes(1), 3, now::get);
        for (int i = 0; i < 3; i++) {
            cache.put("t" + i, inSeconds(300), identity);
        }
        assertEquals(3, cache.size());
        cache.put("t3", inSeconds(300), identity);
        assertTrue(cache.size() <= 3, "bounded");
        assertTrue(cache.get("t3").isPresent());
        cache.clear();
        assertFalse(cache.get("t3").isPresent());
        VerifiedTokenCache off = new VerifiedTokenCache(Duration.ZERO, 3, now::get);
        off.put("t", inSeconds(300), identity);
        assertTrue(off.get("t").isEmpty(), "TTL 0 turns the cache off");
    }
}
