package io.maas.gateway.metering;

import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;

import jakarta.inject.Inject;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;

import io.maas.app.embedded.EmbeddedKafkaBroker;
import io.maas.billing.metering.UsageData;
import io.maas.billing.metering.UsageEvent;
import io.maas.billing.metering.UsageStatus;
import io.maas.testing.Api;
import io.maas.testing.EmbeddedServicesResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * Admission through the real HTTP interface: while the publisher's spool is near its bound (its broker gone),
 * {@code POST /v1/completions} answers 503 {@code metering_unavailable}; once the broker is back and the spool
 * has drained, the same request is served. The gateway's publisher is swapped (package-private test hook) for a
 * real {@link UsageEventPublisher} with a 256 KB spool bound and its own broker, so the shared suite broker and the
 * configured 1 GB bound stay untouched.
 */
@QuarkusTest
@QuarkusTestResource(value = EmbeddedServicesResource.class, restrictToAnnotatedClass = false)
class MeteringUnavailableTest {
    private static final long SPOOL_MAX_BYTES = 256 * 1024;
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final String COMPLETION = "{\"model\":\"demo-tiny\",\"prompt\":\"Hi\",\"max_tokens\":2}";

    @Inject
    UsagePublisher gateway;

    @Test
    void aNearlyFullSpoolRefusesCompletionsWith503UntilItHasDrained() throws Exception {
        String key = Api.newKey(Api.newTenant("spool-full"), "tenant-member");
        Api.as(key).body(COMPLETION).post("/v1/completions").then().statusCode(200);

        Path dir = Files.createTempDirectory(Path.of("target").toAbsolutePath(), "metering-unavailable-");
        int brokerPort = freePort();
        int controllerPort = freePort();
        // Nothing listens on the broker's port yet: every event goes to the spool.
        Map<String, Object> config = UsageEventPublisher.producerConfig("127.0.0.1:" + brokerPort, 3_000);
        UsageEventPublisher tiny = new UsageEventPublisher(() -> new KafkaProducer<>(config),
                UsageSpool.open(dir.resolve("spool"), SPOOL_MAX_BYTES, 5), 8, 100, SPOOL_MAX_BYTES, nanos -> { });
        UsageEventPublisher original = gateway.replaceForTest(tiny);
        EmbeddedKafkaBroker broker = null;
        try {
            int recorded = 0;
            while (tiny.isAccepting()) {
                tiny.record(event(recorded++));
                assertTrue(recorded < 100_000, "the spool never reported itself nearly full");
            }
            await().atMost(WAIT).until(() -> tiny.stats().queueDepth() == 0);
            assertFalse(gateway.isAccepting(), "the gateway's publisher is the one near its bound");

            Api.as(key).body(COMPLETION).post("/v1/completions").then().statusCode(503)
                    .header("Retry-After", "5")
                    .body("error.code", equalTo("metering_unavailable"))
                    .body("error.type", equalTo("server_error"))
                    .body("error.message", org.hamcrest.Matchers.startsWith("Usage metering is backed up"));
            assertEquals(0, tiny.stats().lost(), "refused before any event was lost");

            broker = EmbeddedKafkaBroker.start(dir, brokerPort, controllerPort);
            broker.createTopics(Map.of(UsageEvent.TOPIC, 1));
            await().atMost(WAIT).until(() -> tiny.stats().spoolEntries() == 0 && gateway.isAccepting());
            long publishedBefore = tiny.stats().published();
            Api.as(key).body(COMPLETION).post("/v1/completions").then().statusCode(200)
                    .body("usage.total_tokens", org.hamcrest.Matchers.greaterThan(0));
            await().atMost(WAIT).until(() -> tiny.stats().published() == publishedBefore + 1);
            assertEquals(0, tiny.stats().lost());
        } finally {
            gateway.replaceForTest(original);
            tiny.close();
            if (broker != null) {
                broker.close();
            }
        }
    }

    private static UsageEvent event(int n) {
        return UsageEvent.of(UUID.randomUUID(), "/test", Instant.now(), new UsageData("spool-full-filler", null,
                "demo-tiny", null, null, n, 1, UsageStatus.COMPLETED, "stop", null, 1L, null));
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
