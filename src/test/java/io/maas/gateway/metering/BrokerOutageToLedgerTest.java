package io.maas.gateway.metering;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import javax.sql.DataSource;

import jakarta.inject.Inject;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;

import io.maas.app.embedded.EmbeddedKafkaBroker;
import io.maas.billing.metering.UsageData;
import io.maas.billing.metering.UsageEvent;
import io.maas.billing.metering.UsageEventCodec;
import io.maas.billing.metering.UsageStatus;
import io.maas.billing.usage.UsageLedgerWriter;
import io.maas.billing.usage.UsageRecorder;
import io.maas.testing.EmbeddedServicesResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;

/**
 * Metering fault, end to end: the broker stops under steady load and comes back on the same port and log
 * directory. A real publisher spools what the broker cannot take and replays it; a billing consumer (what the
 * application's consumer does: one transaction per batch through the real {@link UsageRecorder}, offsets
 * committed after it) reads from that broker throughout. The broker is private to this test, so the suite's
 * shared broker and the application's consumer are not involved. Afterwards the ledger's tokens equal the tokens
 * served, each event id billed once.
 */
@QuarkusTest
@QuarkusTestResource(value = EmbeddedServicesResource.class, restrictToAnnotatedClass = false)
class BrokerOutageToLedgerTest {
    private static final long SPOOL_MAX_BYTES = 64L * 1024 * 1024;
    private static final int RATE_PER_SECOND = 200;
    private static final Duration WAIT = Duration.ofSeconds(120);

    @Inject
    UsageRecorder recorder;
    @Inject
    DataSource dataSource;

    @Test
    void aBrokerStoppedUnderSteadyLoadThenRestartedBillsEveryEventExactlyOnce() throws Exception {
        given().header("Authorization", "Bearer " + EmbeddedServicesResource.ADMIN_KEY).contentType(ContentType.JSON)
                .body("""
                        {"base_model":"outage-model","effective_from":"2020-01-01T00:00:00Z","charge_model":"flat",
                         "tiers":[{"up_to_tokens":null,"input_micros_per_token":10,"output_micros_per_token":20}]}""")
                .post("/admin/billing/prices").then().statusCode(201);
        String prefix = "outage-" + UUID.randomUUID().toString().substring(0, 8) + "-";
        Path dir = Files.createTempDirectory(Path.of("target").toAbsolutePath(), "broker-outage-");
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dir);
        broker.createTopics(Map.of(UsageEvent.TOPIC, 3));
        int port = broker.brokerPort();
        int controllerPort = broker.controllerPort();
        String bootstrap = broker.bootstrapServers();

        Map<String, Object> config = UsageEventPublisher.producerConfig(bootstrap, 3_000);
        UsageEventPublisher publisher = new UsageEventPublisher(() -> new KafkaProducer<>(config),
                UsageSpool.open(dir.resolve("spool"), SPOOL_MAX_BYTES, 5), 1_000, 100, SPOOL_MAX_BYTES, nanos -> { });
        Set<UUID> served = ConcurrentHashMap.newKeySet();
        AtomicLong tokensServed = new AtomicLong();
        AtomicBoolean loadRunning = new AtomicBoolean(true);
        AtomicBoolean consuming = new AtomicBoolean(true);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread load = new Thread(() -> steadyLoad(publisher, prefix, served, tokensServed, loadRunning, failure),
                "outage-load");
        Thread consumer = new Thread(() -> consume(bootstrap, consuming, failure), "outage-billing");
        try {
            load.start();
            consumer.start();
            Thread.sleep(3_000);
            assertTrue(publisher.stats().published() > 0, "events flow before the outage");

            broker.close();
            long spooledBefore = publisher.stats().spooled();
            Thread.sleep(5_000);
            long spooledDuringOutage = publisher.stats().spooled() - spooledBefore;
            assertTrue(spooledDuringOutage > 0, "the outage sent events to the spool");

            broker = EmbeddedKafkaBroker.start(dir, port, controllerPort);
            Thread.sleep(3_000);
            loadRunning.set(false);
            load.join();
            await().atMost(WAIT).until(() -> publisher.stats().spoolEntries() == 0
                    && publisher.stats().queueDepth() == 0);
            assertEquals(0, publisher.stats().lost());

            String like = prefix + "%";
            int events = served.size();
            await().atMost(WAIT).until(() -> failure.get() != null
                    || scalar("select count(*) from ledger_transactions where kind = 'usage' and tenant_id like ?",
                            like) >= events);
            consuming.set(false);
            consumer.join(30_000);
            if (failure.get() != null) {
                throw new AssertionError("load or consumer failed", failure.get());
            }
            assertEquals(events, scalar("select count(*) from usage_records where tenant_id like ?", like),
                    "every event served is stored once");
            assertEquals(events, scalar("select count(distinct usage_event_id) from ledger_transactions"
                    + " where kind = 'usage' and tenant_id like ?", like));
            assertEquals(events, scalar("select count(*) from ledger_transactions where kind = 'usage'"
                    + " and tenant_id like ?", like), "one ledger transaction per event id");
            assertEquals(tokensServed.get(), scalar("""
                    select coalesce(sum(e.tokens), 0) from ledger_entries e join ledger_transactions t on t.id = e.transaction_id
                    where t.kind = 'usage' and t.tenant_id like ? and e.account = 'tenant:' || t.tenant_id || ':receivable'""",
                    like), "the ledger's tokens are exactly the tokens served");
            assertEquals(tokensServed.get(), scalar("select coalesce(sum(tokens_prompt + tokens_completion), 0)"
                    + " from usage_rollups_hourly where tenant_id like ?", like));
        } finally {
            loadRunning.set(false);
            consuming.set(false);
            load.join(10_000);
            consumer.join(30_000);
            publisher.close();
            broker.close();
        }
    }

    /** Records events at a steady rate, as a serving gateway would, until told to stop. */
    private static void steadyLoad(UsageEventPublisher publisher, String prefix, Set<UUID> served,
            AtomicLong tokensServed, AtomicBoolean running, AtomicReference<Throwable> failure) {
        try {
            long start = System.nanoTime();
            for (int i = 0; running.get(); i++) {
                long due = start + i * (1_000_000_000L / RATE_PER_SECOND);
                while (System.nanoTime() < due) {
                    LockSupport.parkNanos(200_000);
                }
                int prompt = 1 + i % 97;
                int completion = 1 + i % 13;
                UsageEvent e = UsageEvent.of(UUID.randomUUID(), "/test", Instant.now(), new UsageData(prefix + (i % 5),
                        null, "outage-model", null, null, prompt, completion, UsageStatus.COMPLETED, "stop", null, 5L,
                        null));
                publisher.record(e);
                served.add(e.id());
                tokensServed.addAndGet(prompt + completion);
            }
        } catch (Throwable t) {
            failure.compareAndSet(null, t);
        }
    }

    /**
     * The billing consumer's loop: poll, store the batch in one transaction, then commit offsets. Failed commits
     * while the broker is down are retried by redelivery, which the recorder dedupes.
     */
    private void consume(String bootstrap, AtomicBoolean running, AtomicReference<Throwable> failure) {
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, "maas-billing-outage",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "500",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class))) {
            consumer.subscribe(List.of(UsageEvent.TOPIC));
            while (running.get()) {
                List<UsageLedgerWriter.Delivered> batch = new ArrayList<>();
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    batch.add(new UsageLedgerWriter.Delivered(UsageEventCodec.decode(r.value()), r.partition(),
                            r.offset()));
                }
                if (batch.isEmpty()) {
                    continue;
                }
                recorder.record(batch);
                try {
                    consumer.commitSync(Duration.ofSeconds(5));
                } catch (RuntimeException e) {
                    // Broker gone between the database commit and the offset commit: the batch comes back later.
                }
            }
        } catch (Throwable t) {
            failure.compareAndSet(null, t);
        }
    }

    private long scalar(String sql, String param) throws Exception {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, param);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }
}
