package io.maas.gateway.metering;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import jakarta.inject.Inject;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import io.maas.billing.metering.UsageData;
import io.maas.billing.metering.UsageEvent;
import io.maas.billing.metering.UsageEventCodec;
import io.maas.billing.metering.UsageStatus;
import io.maas.billing.usage.UsageLedgerWriter;
import io.maas.billing.usage.UsageRecorder;
import io.maas.testing.EmbeddedServicesResource;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;

/**
 * Bench (not a test): billing consumer throughput from Kafka into PostgreSQL. N events are produced to a topic
 * of their own first; then a consumer loop drains it as the billing consumer does (poll, decode, one transaction
 * per batch through the real {@link UsageRecorder}: dedupe by id, hourly and daily rollups, rating and ledger
 * posting; then commit offsets), at batch sizes 100/500/2000. Baseline in the same run: the same loop with a plain
 * batched {@code INSERT} of the events instead (no dedupe, rollups, rating or ledger). Run with {@code ./maas bench}.
 */
@QuarkusTest
@QuarkusTestResource(value = EmbeddedServicesResource.class, restrictToAnnotatedClass = false)
class UsageConsumerBenchmark {
    private static final int EVENTS = Integer.getInteger("bench.consumer.events", 50_000);
    private static final int PARTITIONS = 3;
    private static final int TENANTS = 50;

    /** What the consumer loop does with each batch. */
    private enum Work {
        /** The billing consumer's work: {@link UsageRecorder#record} (dedupe, rollups, rating, ledger). */
        FULL,
        /** Only the first half of it, {@link UsageLedgerWriter#write}: dedupe and rollups, no rating or ledger. */
        WRITER_ONLY,
        /** The baseline: a plain batched INSERT of the events. */
        PLAIN_INSERT
    }

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;
    @Inject
    UsageRecorder recorder;
    @Inject
    DataSource dataSource;

    @Test
    void kafkaToLedgerThroughput() throws Exception {
        assumeTrue(Boolean.getBoolean("benchmarks"), "benchmarks run only with -Dbenchmarks=true");
        given().header("Authorization", "Bearer " + EmbeddedServicesResource.ADMIN_KEY).contentType(ContentType.JSON)
                .body("""
                        {"base_model":"bench-model","effective_from":"2020-01-01T00:00:00Z","charge_model":"flat",
                         "tiers":[{"up_to_tokens":null,"input_micros_per_token":10,"output_micros_per_token":20}]}""")
                .post("/admin/billing/prices").then().statusCode(201);
        System.out.printf("%nBilling consumer bench: %d events per run from Kafka (%d partitions, embedded broker) into"
                + " PostgreSQL 17 embedded, %d cores, Java %s, load average before: %s%n", EVENTS, PARTITIONS,
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), loadAverage());
        System.out.println("command: ./maas bench   (src: UsageConsumerBenchmark)");
        System.out.println("| batch | consumer (dedupe, rollups, rating, ledger) events/s | dedupe + rollups only events/s"
                + " | plain INSERT consumer events/s | ratio full / plain | load average after |");
        System.out.println("|---|---|---|---|---|---|");
        // Warm-up of both paths (JIT, connection pool, statement caches); not reported.
        for (Work mode : Work.values()) {
            run(100, mode, Math.min(EVENTS, 10_000));
        }
        for (int batch : new int[] {100, 500, 2000}) {
            double plain = run(batch, Work.PLAIN_INSERT, EVENTS);
            double writer = run(batch, Work.WRITER_ONLY, EVENTS);
            double full = run(batch, Work.FULL, EVENTS);
            System.out.printf("| %d | %,.0f | %,.0f | %,.0f | %.2f | %s |%n", batch, full, writer, plain, full / plain,
                    loadAverage());
        }
    }

    /** Produces the events, then times draining them; returns events per second. */
    private double run(int batch, Work mode, int events) throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String topic = UsageEvent.TOPIC + ".bench-" + run;
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            admin.createTopics(List.of(new NewTopic(topic, PARTITIONS, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
        produce(topic, "bench-" + run + "-", events);

        List<TopicPartition> partitions = new ArrayList<>();
        for (int p = 0; p < PARTITIONS; p++) {
            partitions.add(new TopicPartition(topic, p));
        }
        int consumed = 0;
        long started;
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, "maas-billing-bench-" + run,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Integer.toString(batch),
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class))) {
            // Assigned, not subscribed: the group join is not what is measured; offsets are still committed.
            consumer.assign(partitions);
            started = System.nanoTime();
            long deadline = started + TimeUnit.MINUTES.toNanos(10);
            while (consumed < events && System.nanoTime() < deadline) {
                List<UsageLedgerWriter.Delivered> delivered = new ArrayList<>(batch);
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    delivered.add(new UsageLedgerWriter.Delivered(UsageEventCodec.decode(r.value()), r.partition(),
                            r.offset()));
                }
                if (delivered.isEmpty()) {
                    continue;
                }
                switch (mode) {
                    case FULL -> recorder.record(delivered);
                    case WRITER_ONLY -> QuarkusTransaction.requiringNew().call(() -> {
                        try (Connection c = dataSource.getConnection()) {
                            return UsageLedgerWriter.write(c, delivered);
                        }
                    });
                    case PLAIN_INSERT -> QuarkusTransaction.requiringNew().call(() -> plainInsert(delivered));
                    default -> throw new IllegalStateException(mode.name());
                }
                consumer.commitSync();
                consumed += delivered.size();
            }
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        assertTrue(consumed >= events, "the topic was drained: " + consumed + " of " + events);
        if (mode == Work.FULL) {
            assertEquals(events, count("select count(*) from ledger_transactions where tenant_id like ?",
                    "bench-" + run + "-%"), "every event was posted to the ledger");
        }
        return consumed / seconds;
    }

    private void produce(String topic, String tenantPrefix, int events) {
        Random random = new Random(7);
        Instant start = Instant.now().minusSeconds(3_600);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ProducerConfig.ACKS_CONFIG, "all",
                // Not idempotent: under heavy host load an idempotent producer here got stuck retrying
                // OUT_OF_ORDER_SEQUENCE_NUMBER forever. A rare duplicate from a retry is harmless to the measurement
                // (the consumer dedupes; the loop stops at the count produced).
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false, ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1,
                ProducerConfig.LINGER_MS_CONFIG, 10, ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 120_000,
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 300_000,
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class))) {
            for (int i = 0; i < events; i++) {
                String tenant = tenantPrefix + random.nextInt(TENANTS);
                UsageEvent e = UsageEvent.of(UUID.randomUUID(), "/bench", start.plusMillis(random.nextInt(3_600_000)),
                        new UsageData(tenant, UUID.randomUUID(), "bench-model", null, null, 1 + random.nextInt(2000),
                                1 + random.nextInt(500), UsageStatus.COMPLETED, "stop", 40L, 900L,
                                "4bf92f3577b34da6a3ce929d0e0e4736"));
                producer.send(new ProducerRecord<>(topic, tenant, UsageEventCodec.encodeToString(e)));
            }
            producer.flush();
        }
    }

    /** The baseline: the same rows, one batched INSERT per poll, no dedupe, no rollups, no rating or ledger. */
    private int plainInsert(List<UsageLedgerWriter.Delivered> batch) throws Exception {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(
                "insert into usage_records (event_id, tenant_id, api_key_id, base_model, adapter, provider,"
                        + " tokens_prompt, tokens_completion, status, finish_reason, ttft_ms, duration_ms, trace_id,"
                        + " occurred_at, kafka_partition, kafka_offset)"
                        + " values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            for (UsageLedgerWriter.Delivered d : batch) {
                UsageData data = d.event().data();
                ps.setObject(1, d.event().id());
                ps.setString(2, data.tenantId());
                ps.setObject(3, data.apiKeyId());
                ps.setString(4, data.baseModel());
                ps.setString(5, data.adapter());
                ps.setString(6, data.provider());
                ps.setInt(7, data.promptTokens());
                ps.setInt(8, data.completionTokens());
                ps.setString(9, data.status().wireName());
                ps.setString(10, data.finishReason());
                ps.setObject(11, data.timeToFirstTokenMs());
                ps.setObject(12, data.durationMs());
                ps.setString(13, data.traceId());
                ps.setTimestamp(14, Timestamp.from(d.event().time()));
                ps.setObject(15, d.partition());
                ps.setObject(16, d.offset());
                ps.addBatch();
            }
            return ps.executeBatch().length;
        }
    }

    private long count(String sql, String param) throws Exception {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, param);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private static String loadAverage() {
        try {
            String[] parts = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return parts[0] + " " + parts[1] + " " + parts[2];
        } catch (Exception e) {
            return "n/a";
        }
    }
}
