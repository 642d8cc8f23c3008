package io.maas.gateway.auth;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.time.Duration;
import java.util.Arrays;
import java.util.Set;
import java.util.UUID;

import org.junit.jupiter.api.Test;

/**
 * Bench (not a test): the cost of authenticating an API key on a cache hit (SHA-256 of the presented secret
 * plus the cache lookup: what {@link ApiKeyService#cached} does on every request), against the SHA-256
 * alone as baseline. Target from issue 7: p99 under 100 µs. Run with {@code ./maas bench}.
 */
class ApiKeyAuthBenchmark {
    private static final int KEYS = 10_000;
    private static final int ROUNDS = 200_000;

    @Test
    void cacheHitAuthenticationCost() {
        assumeTrue(Boolean.getBoolean("maas.benchmark"), "benchmarks run only with -Dmaas.benchmark=true");
        KeyCache cache = new KeyCache(Duration.ofMinutes(10), KEYS, System::nanoTime);
        String[] secrets = new String[KEYS];
        for (int i = 0; i < KEYS; i++) {
            secrets[i] = ApiKeySecrets.newSecret();
            cache.put(ApiKeySecrets.hash(secrets[i]), new ApiKeyService.KeyPrincipal(UUID.randomUUID(), "t" + i % 50,
                    Set.of(Roles.TENANT_MEMBER), Set.of()));
        }
        long[] hashOnly = new long[ROUNDS];
        long[] hit = new long[ROUNDS];
        long sink = 0;
        for (int warm = 0; warm < 2; warm++) {
            for (int i = 0; i < ROUNDS; i++) {
                String s = secrets[i % KEYS];
                long t0 = System.nanoTime();
                byte[] h = ApiKeySecrets.hash(s);
                long t1 = System.nanoTime();
                var p = cache.get(ApiKeySecrets.hash(s));
                long t2 = System.nanoTime();
                sink += h[0] + (p.isPresent() ? 1 : 0);
                hashOnly[i] = t1 - t0;
                hit[i] = t2 - t1;
            }
        }
        Arrays.sort(hashOnly);
        Arrays.sort(hit);
        System.out.printf("%nAPI key authentication, cache hit (%d keys cached, %d lookups, 1 thread)%n", KEYS, ROUNDS);
        System.out.printf("machine: %s, %d cores, Java %s; command: ./maas bench%n", System.getProperty("os.arch"),
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
        System.out.printf("  baseline SHA-256 only: p50 %5.2f µs  p99 %5.2f µs%n", p(hashOnly, 50), p(hashOnly, 99));
        System.out.printf("  SHA-256 + cache get:   p50 %5.2f µs  p99 %5.2f µs  (ratio p99 %.2f; target p99 < 100 µs)%n",
                p(hit, 50), p(hit, 99), p(hit, 99) / p(hashOnly, 99));
        System.out.println("  (sink " + (sink & 1) + ")");
    }

    private static double p(long[] sorted, int percentile) {
        return sorted[Math.min(sorted.length - 1, sorted.length * percentile / 100)] / 1_000.0;
    }
}
