package io.maas.gateway.metering;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.locks.LockSupport;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.maas.billing.metering.UsageData;
import io.maas.billing.metering.UsageEvent;
import io.maas.billing.metering.UsageStatus;
import io.maas.billing.usage.UsageRecord;
import io.maas.testing.EmbeddedServicesResource;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * Bench (not a test): end-to-end lag from recording a usage event on the gateway to its row in the ledger
 * (publisher → Kafka → billing consumer with dedupe, rollups and rating → PostgreSQL), at a steady 1,000
 * synthetic events/s for 10 s. Run with {@code ./maas bench}.
 */
@QuarkusTest
@QuarkusTestResource(value = EmbeddedServicesResource.class, restrictToAnnotatedClass = false)
class MeteringLagBenchmark {
    private static final int RATE_PER_SECOND = 1_000;
    private static final int SECONDS = 10;

    @Inject
    UsagePublisher publisher;

    @Test
    void responseToLedgerLag() {
        assumeTrue(Boolean.getBoolean("benchmarks"), "benchmarks run only with -Dbenchmarks=true");
        String tenant = "lag-" + UUID.randomUUID().toString().substring(0, 8);
        int total = RATE_PER_SECOND * SECONDS;
        long start = System.nanoTime();
        for (int i = 0; i < total; i++) {
            long due = start + i * (1_000_000_000L / RATE_PER_SECOND);
            while (System.nanoTime() < due) {
                LockSupport.parkNanos(50_000);
            }
            publisher.publish(UsageEvent.of(UUID.randomUUID(), "/bench", Instant.now(), new UsageData(tenant, null,
                    "demo-tiny", null, null, 100, 20, UsageStatus.COMPLETED, "stop", 5L, 50L, null)));
        }
        long deadline = System.nanoTime() + 120_000_000_000L;
        long stored = 0;
        while (System.nanoTime() < deadline
                && (stored = QuarkusTransaction.requiringNew().call(() -> UsageRecord.count("tenantId", tenant))) < total) {
            LockSupport.parkNanos(200_000_000L);
        }
        List<Double> lagsMs = QuarkusTransaction.requiringNew().call(() -> UsageRecord.<UsageRecord>find("tenantId", tenant)
                .stream().map(r -> (r.recordedAt.toEpochMilli() - r.occurredAt.toEpochMilli()) * 1.0).sorted().toList());
        System.out.printf("%nMetering lag bench: %d synthetic events at %d/s, %d cores, Java %s%n", total, RATE_PER_SECOND,
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
        System.out.println("command: ./maas bench   (src: MeteringLagBenchmark)");
        System.out.printf("stored %d of %d; record → ledger row: p50 %.0f ms, p99 %.0f ms, max %.0f ms (goal p99 < 2,000 ms)%n",
                stored, total, lagsMs.get(lagsMs.size() / 2), lagsMs.get((int) (lagsMs.size() * 0.99)),
                lagsMs.get(lagsMs.size() - 1));
    }
}
