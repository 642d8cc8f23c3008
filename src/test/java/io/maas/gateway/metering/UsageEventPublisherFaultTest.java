package io.maas.gateway.metering;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.maas.app.embedded.EmbeddedKafkaBroker;
import io.maas.billing.metering.UsageData;
import io.maas.billing.metering.UsageEvent;
import io.maas.billing.metering.UsageEventCodec;
import io.maas.billing.metering.UsageStatus;
import io.maas.testing.KafkaTestClient;

/** The publisher against a real broker that goes away: nothing recorded is lost, and order holds. */
class UsageEventPublisherFaultTest {
    private static final long SPOOL_MAX_BYTES = 64L * 1024 * 1024;
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private static UsageEvent event(int n) {
        return UsageEvent.of(UUID.randomUUID(), "/test", Instant.now(), TraceContext.fromHeader(null).traceparent(),
                new UsageData("tenant-a", null, "demo-tiny", null, null, n, 1, UsageStatus.COMPLETED, "stop", null, 1L,
                        null));
    }

    private static UsageEventPublisher publisher(String bootstrap, UsageSpool spool) {
        Map<String, Object> config = UsageEventPublisher.producerConfig(bootstrap, 3_000);
        return new UsageEventPublisher(() -> new KafkaProducer<>(config), spool, 1_000, 100, SPOOL_MAX_BYTES,
                nanos -> { });
    }

    private static List<UUID> idsOnTopic(String bootstrap, int expectedAtLeast) {
        List<ConsumerRecord<String, String>> records = KafkaTestClient.readAll(bootstrap, UsageEvent.TOPIC,
                expectedAtLeast, WAIT);
        List<UUID> ids = new ArrayList<>();
        for (ConsumerRecord<String, String> r : records) {
            UsageEvent e = UsageEventCodec.decode(r.value());
            assertEquals(e.traceparent(), new String(r.headers().lastHeader(TraceContext.HEADER).value()),
                    "traceparent travels in the record header");
            assertEquals(e.data().tenantId(), r.key(), "the record's key is the tenant id");
            ids.add(e.id());
        }
        return ids;
    }

    @Test
    void aBrokerOutageLosesNoEventAndTheSpoolReplaysInOrder() throws Exception {
        EmbeddedKafkaBroker broker = startBroker(0, 0);
        int port = broker.brokerPort();
        int controllerPort = broker.controllerPort();
        String bootstrap = broker.bootstrapServers();
        List<UUID> recorded = new ArrayList<>();
        UsageSpool spool = UsageSpool.open(dir.resolve("spool"), SPOOL_MAX_BYTES, 5);
        try (UsageEventPublisher publisher = publisher(bootstrap, spool)) {
            for (int i = 0; i < 100; i++) {
                UsageEvent e = event(i);
                recorded.add(e.id());
                publisher.record(e);
            }
            await().atMost(WAIT).until(() -> publisher.stats().published() == 100);

            broker.close();
            for (int i = 100; i < 300; i++) {
                UsageEvent e = event(i);
                recorded.add(e.id());
                publisher.record(e);
            }
            await().atMost(WAIT).until(() -> publisher.stats().spoolEntries() > 0);
            assertTrue(publisher.isAccepting());

            broker = startBroker(port, controllerPort);
            await().atMost(WAIT).until(() -> publisher.stats().spoolEntries() == 0
                    && publisher.stats().queueDepth() == 0 && publisher.stats().published() >= 300);
            assertEquals(0, publisher.stats().lost());
        } finally {
            broker.close();
        }
        broker = startBroker(port, controllerPort);
        try {
            List<UUID> onTopic = idsOnTopic(bootstrap, 300);
            Set<UUID> firstSeen = new LinkedHashSet<>(onTopic);
            assertEquals(new ArrayList<>(recorded), new ArrayList<>(firstSeen),
                    "every recorded event is on the topic, first occurrences in recording order");
        } finally {
            broker.close();
        }
    }

    @Test
    void eventsSpooledBeforeAHardStopAreReplayedAfterRestart() throws Exception {
        Path spoolDir = dir.resolve("spool");
        List<UUID> recorded = new ArrayList<>();
        // No broker at all: every event ends in the spool.
        UsageEventPublisher first = publisher("127.0.0.1:1", UsageSpool.open(spoolDir, SPOOL_MAX_BYTES, 5));
        for (int i = 0; i < 50; i++) {
            UsageEvent e = event(i);
            recorded.add(e.id());
            first.record(e);
        }
        await().atMost(WAIT).until(() -> first.stats().spoolEntries() == 50);
        first.haltForTest();

        EmbeddedKafkaBroker broker = startBroker(0, 0);
        try (UsageEventPublisher second = publisher(broker.bootstrapServers(),
                UsageSpool.open(spoolDir, SPOOL_MAX_BYTES, 5))) {
            await().atMost(WAIT).until(() -> second.stats().spoolEntries() == 0 && second.stats().published() == 50);
            assertEquals(recorded, new ArrayList<>(new LinkedHashSet<>(idsOnTopic(broker.bootstrapServers(), 50))));
        } finally {
            broker.close();
        }
    }

    @Test
    void recordNeverWaitsForAnUnreachableBrokerAndLosesNothing() throws Exception {
        UsageSpool spool = UsageSpool.open(dir.resolve("spool"), SPOOL_MAX_BYTES, 5);
        Map<String, Object> config = UsageEventPublisher.producerConfig("127.0.0.1:1", 3_000);
        // A queue of 8: nearly every call finds it full and appends to the spool from the calling thread.
        try (UsageEventPublisher publisher = new UsageEventPublisher(() -> new KafkaProducer<>(config), spool, 8, 100,
                SPOOL_MAX_BYTES, nanos -> { })) {
            long slowestNanos = 0;
            for (int i = 0; i < 2_000; i++) {
                UsageEvent e = event(i);
                long started = System.nanoTime();
                publisher.record(e);
                slowestNanos = Math.max(slowestNanos, System.nanoTime() - started);
            }
            // Waiting for this broker at all costs max.block.ms (1 s) or delivery.timeout.ms (3 s) per wait.
            assertTrue(slowestNanos < 1_000_000_000L, "slowest record() took " + slowestNanos / 1_000 + " us");
            await().atMost(WAIT).until(() -> publisher.stats().queueDepth() == 0
                    && publisher.stats().spoolEntries() == 2_000);
            assertEquals(0, publisher.stats().lost());
            assertEquals(0, publisher.stats().published());
            assertTrue(publisher.isAccepting(), "far from its bound the spool admits more work");
        }
    }

    @Test
    void nearItsBoundTheSpoolStopsAdmissionBeforeAnyEventIsLost() throws Exception {
        long maxBytes = 256 * 1024;
        UsageSpool spool = UsageSpool.open(dir.resolve("spool"), maxBytes, 5);
        Map<String, Object> config = UsageEventPublisher.producerConfig("127.0.0.1:1", 3_000);
        try (UsageEventPublisher publisher = new UsageEventPublisher(() -> new KafkaProducer<>(config), spool, 8, 100,
                maxBytes, nanos -> { })) {
            int recorded = 0;
            // The gateway asks isAccepting() before it admits a request (else 503 metering_unavailable).
            while (publisher.isAccepting()) {
                publisher.record(event(recorded++));
                assertTrue(recorded < 100_000, "the spool never reported itself nearly full");
            }
            int admitted = recorded;
            await().atMost(WAIT).until(() -> publisher.stats().queueDepth() == 0
                    && publisher.stats().spoolEntries() == admitted);
            assertEquals(0, publisher.stats().lost(), "admission stopped before the spool had to drop an event");
            assertTrue(publisher.stats().spoolBytes() >= maxBytes * 9 / 10, "stopped at 90 % of the bound");
        }
    }

    private EmbeddedKafkaBroker startBroker(int port, int controllerPort) throws IOException {
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dir.resolve("kafka"), port, controllerPort);
        broker.createTopics(Map.of(UsageEvent.TOPIC, 1));
        return broker;
    }
}
