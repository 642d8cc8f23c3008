package io.maas.gateway.auth;

import static io.maas.testing.Api.ADMIN_KEY;
import static io.maas.testing.Api.as;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import io.maas.testing.Api;
import io.maas.testing.EmbeddedServicesResource;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

/** Revocation takes effect within the stated cache TTL, and last-used times are written off the request path. */
@QuarkusTest
@QuarkusTestResource(value = EmbeddedServicesResource.class, restrictToAnnotatedClass = false)
class KeyRevocationTest {
    @ConfigProperty(name = "maas.auth.key-cache-ttl")
    Duration ttl;

    @Test
    void keyRevokedBehindTheGatewaysBackFailsWithinTheCacheTtl() {
        String tenant = Api.newTenant("revoke");
        String secret = Api.newKey(tenant, "tenant-member");
        UUID id = UUID.fromString(Api.keyId(tenant, secret));
        as(secret).get("/v1/models").then().statusCode(200); // now cached
        long cachedAt = System.nanoTime();

        // Revoked directly in the database, as another gateway replica would: this gateway's cache is not told.
        Instant revokedAt = Instant.now();
        QuarkusTransaction.requiringNew().run(() -> ApiKeyEntity.update("revokedAt = ?1 where id = ?2", revokedAt, id));
        long revokedNanos = System.nanoTime();
        if (Duration.ofNanos(revokedNanos - cachedAt).compareTo(ttl.dividedBy(2)) < 0) {
            as(secret).get("/v1/models").then().statusCode(200); // served from the cache: the bound is real
        }
        await().atMost(ttl.plusSeconds(1)).pollInterval(Duration.ofMillis(50))
                .until(() -> as(secret).get("/v1/models").statusCode() == 401);
        Duration took = Duration.ofNanos(System.nanoTime() - revokedNanos);
        assertTrue(took.compareTo(ttl.plusMillis(500)) <= 0, "revocation took " + took + ", bound " + ttl);
    }

    @Test
    void keyRevokedThroughTheApiFailsAtOnceOnThisGateway() {
        String tenant = Api.newTenant("revoke-api");
        String secret = Api.newKey(tenant, "tenant-member");
        String id = Api.keyId(tenant, secret);
        as(secret).get("/v1/models").then().statusCode(200);
        as(ADMIN_KEY).delete("/v1/keys/" + id).then().statusCode(200);
        as(secret).get("/v1/models").then().statusCode(401);
    }

    @Test
    void scopeChangeIsSeenAtOnceOnThisGateway() {
        String tenant = Api.newTenant("rescope");
        String secret = Api.newKey(tenant, "tenant-member");
        String id = Api.keyId(tenant, secret);
        as(secret).get("/v1/models/demo-tiny").then().statusCode(200);
        as(ADMIN_KEY).body(Map.of("allowed_models", java.util.List.of("other"))).patch("/v1/keys/" + id)
                .then().statusCode(200);
        as(secret).get("/v1/models/demo-tiny").then().statusCode(404);
    }

    @Test
    void lastUsedTimeIsRecordedInTheBackground() {
        String tenant = Api.newTenant("lastused");
        String secret = Api.newKey(tenant, "tenant-member");
        String id = Api.keyId(tenant, secret);
        Instant before = Instant.now().minusSeconds(1);
        as(secret).get("/v1/models").then().statusCode(200);
        String lastUsed = await().atMost(Duration.ofSeconds(10)).until(
                () -> as(ADMIN_KEY).get("/v1/keys/" + id).then().extract().<String>path("last_used_at"),
                v -> v != null);
        assertNotNull(lastUsed);
        assertTrue(Instant.parse(lastUsed).isAfter(before));
    }
}
