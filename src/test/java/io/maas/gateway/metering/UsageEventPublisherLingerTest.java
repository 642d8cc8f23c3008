package io.maas.gateway.metering;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.maas.billing.metering.UsageData;
import io.maas.billing.metering.UsageEvent;
import io.maas.billing.metering.UsageStatus;

/** With a linger, events recorded close together leave in one batch (one flush), none is lost or held back. */
class UsageEventPublisherLingerTest {
    private static final int EVENTS = 20;

    @TempDir
    Path dir;

    /** A producer that acknowledges every send and counts flushes (one per batch). */
    private static final class CountingProducer extends MockProducer<String, byte[]> {
        final AtomicInteger flushes = new AtomicInteger();

        CountingProducer() {
            super(true, null, new StringSerializer(), new ByteArraySerializer());
        }

        @Override
        public synchronized void flush() {
            flushes.incrementAndGet();
            super.flush();
        }
    }

    private static UsageEvent event(int n) {
        return UsageEvent.of(UUID.randomUUID(), "/test", Instant.now(), null, new UsageData("tenant-a", null,
                "demo-tiny", null, null, n, 1, UsageStatus.COMPLETED, "stop", null, 1L, null));
    }

    private int flushesFor(Duration linger) throws Exception {
        CountingProducer producer = new CountingProducer();
        try (UsageEventPublisher publisher = new UsageEventPublisher(() -> producer,
                UsageSpool.open(dir.resolve("spool-" + linger.toMillis()), 1L << 26, 5), 1_000, 500, 1L << 26, linger,
                nanos -> { })) {
            for (int i = 0; i < EVENTS; i++) {
                publisher.record(event(i));
                Thread.sleep(2);
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (publisher.stats().published() < EVENTS && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertEquals(EVENTS, publisher.stats().published(), "every event published");
            assertEquals(EVENTS, producer.history().size());
            assertEquals(0, publisher.stats().spooled());
        }
        return producer.flushes.get();
    }

    @Test
    void aLingerSendsEventsRecordedCloseTogetherInOneBatch() throws Exception {
        // 20 events 2 ms apart (~40 ms, more on a loaded machine): a 5 s linger gathers them all into one batch.
        int lingered = flushesFor(Duration.ofSeconds(5));
        assertTrue(lingered <= 2, "flushes with a 5 s linger: " + lingered);
        // Without a linger the drainer sends as soon as it wakes: about one batch per event here.
        int immediate = flushesFor(Duration.ZERO);
        assertTrue(immediate > lingered, "flushes without linger " + immediate + " vs with " + lingered);
    }
}
