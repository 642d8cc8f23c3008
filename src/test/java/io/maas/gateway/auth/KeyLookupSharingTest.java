package io.maas.gateway.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.maas.testing.Api;
import io.maas.testing.EmbeddedServicesResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

/** Concurrent cache misses of one API key share one database lookup; a revoked key is not served from one. */
@QuarkusTest
@QuarkusTestResource(value = EmbeddedServicesResource.class, restrictToAnnotatedClass = false)
class KeyLookupSharingTest {
    private static final int THREADS = 16;

    @Inject
    ApiKeyService keys;

    @Test
    void concurrentMissesOfOneKeyQueryTheDatabaseOnce() throws Exception {
        String tenant = Api.newTenant("sharing");
        String secret = Api.newKey(tenant, "tenant-member");
        UUID id = UUID.fromString(Api.keyId(tenant, secret));
        CyclicBarrier start = new CyclicBarrier(THREADS);
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            long before = keys.databaseLookups();
            List<Future<Optional<ApiKeyService.KeyPrincipal>>> answers = new ArrayList<>();
            for (int i = 0; i < THREADS; i++) {
                answers.add(pool.submit(() -> {
                    start.await();
                    return keys.authenticateShared(secret);
                }));
            }
            for (var answer : answers) {
                assertEquals(id, answer.get().orElseThrow().keyId());
            }
            long lookups = keys.databaseLookups() - before;
            // One lookup, the rest joined it or hit the cache it filled; 2 leaves room for the 2 s test TTL expiring
            // in between on a loaded machine. Each request querying on its own would show up to 16.
            assertTrue(lookups >= 1 && lookups <= 2, "database lookups for " + THREADS + " concurrent misses: " + lookups);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aRevokedKeyIsRefusedAfterInvalidation() {
        String tenant = Api.newTenant("sharing-revoke");
        String secret = Api.newKey(tenant, "tenant-member");
        assertTrue(keys.authenticateShared(secret).isPresent());
        Api.as(Api.ADMIN_KEY).delete("/v1/keys/" + Api.keyId(tenant, secret)).then().statusCode(200);
        assertTrue(keys.authenticateShared(secret).isEmpty());
        assertTrue(keys.authenticateShared("sk-not-a-real-key-at-all-0000000000000000").isEmpty());
    }
}
