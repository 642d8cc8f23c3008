package io.maas.gateway.metering;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.maas.app.embedded.EmbeddedKafkaBroker;
import io.maas.billing.metering.UsageData;
import io.maas.billing.metering.UsageEvent;
import io.maas.billing.metering.UsageStatus;

/**
 * Bench (not a test): the cost of {@code record(event)} on the request path, and the time from record to the
 * broker's acknowledgement at a steady 1,000 events/s, against the embedded broker. Run with {@code ./maas bench}.
 */
class UsageEventPublisherBenchmark {
    @TempDir
    Path dir;

    private static UsageEvent event(int i) {
        return UsageEvent.of(UUID.randomUUID(), "/bench", Instant.now(), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                new UsageData("tenant-" + (i % 50), UUID.randomUUID(), "demo-tiny", null, null, 100, 20,
                        UsageStatus.COMPLETED, "stop", 30L, 400L, "4bf92f3577b34da6a3ce929d0e0e4736"));
    }

    @Test
    void recordCostAndPublishLatency() throws Exception {
        assumeTrue(Boolean.getBoolean("benchmarks"), "benchmarks run only with -Dbenchmarks=true");
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dir.resolve("kafka"))) {
            broker.createTopics(Map.of(UsageEvent.TOPIC, 3));
            ConcurrentLinkedQueue<Long> ackLatencies = new ConcurrentLinkedQueue<>();
            Map<String, Object> config = UsageEventPublisher.producerConfig(broker.bootstrapServers(), 10_000);
            try (UsageEventPublisher publisher = new UsageEventPublisher(() -> new KafkaProducer<>(config),
                    UsageSpool.open(dir.resolve("spool"), 1L << 30, 5), 10_000, 500, 1L << 30, ackLatencies::add)) {
                // 1. record() at full speed from one thread, in bursts the queue can hold.
                int bursts = 40;
                int perBurst = 5_000;
                long[] cost = new long[bursts * perBurst];
                int k = 0;
                for (int b = 0; b < bursts; b++) {
                    for (int i = 0; i < perBurst; i++) {
                        UsageEvent e = event(i);
                        long t0 = System.nanoTime();
                        publisher.record(e);
                        cost[k++] = System.nanoTime() - t0;
                    }
                    while (publisher.stats().queueDepth() > 0) {
                        LockSupport.parkNanos(1_000_000);
                    }
                }
                Arrays.sort(cost);
                while (publisher.stats().published() < cost.length) {
                    LockSupport.parkNanos(10_000_000);
                }
                // 2. Steady 1,000 events/s for 10 s: record → broker acknowledgement.
                ackLatencies.clear();
                long start = System.nanoTime();
                for (int i = 0; i < 10_000; i++) {
                    long due = start + i * 1_000_000L;
                    while (System.nanoTime() < due) {
                        LockSupport.parkNanos(100_000);
                    }
                    publisher.record(event(i));
                }
                while (ackLatencies.size() < 10_000 && System.nanoTime() - start < 60_000_000_000L) {
                    LockSupport.parkNanos(10_000_000);
                }
                long[] lag = ackLatencies.stream().mapToLong(Long::longValue).sorted().toArray();
                System.out.printf("%nUsage publisher bench: embedded KRaft broker, %d cores, Java %s%n",
                        Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
                System.out.println("command: ./maas bench   (src: UsageEventPublisherBenchmark)");
                System.out.printf("record(): p50 %.2f µs, p99 %.2f µs, p99.9 %.2f µs over %d calls (goal p99 < 20 µs)%n",
                        cost[cost.length / 2] / 1e3, cost[(int) (cost.length * 0.99)] / 1e3,
                        cost[(int) (cost.length * 0.999)] / 1e3, cost.length);
                System.out.printf("record → broker ack at 1,000/s: p50 %.1f ms, p99 %.1f ms, max %.1f ms (%d events)%n",
                        lag[lag.length / 2] / 1e6, lag[(int) (lag.length * 0.99)] / 1e6, lag[lag.length - 1] / 1e6,
                        lag.length);
                System.out.printf("spooled %d, lost %d%n", publisher.stats().spooled(), publisher.stats().lost());
            }
        }
    }
}
