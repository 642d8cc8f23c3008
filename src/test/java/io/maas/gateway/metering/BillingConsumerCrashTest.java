package io.maas.gateway.metering;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import jakarta.inject.Inject;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import io.maas.billing.metering.UsageData;
import io.maas.billing.metering.UsageEvent;
import io.maas.billing.metering.UsageEventCodec;
import io.maas.billing.metering.UsageStatus;
import io.maas.billing.usage.UsageLedgerWriter;
import io.maas.billing.usage.UsageRecorder;
import io.maas.testing.EmbeddedServicesResource;
import io.maas.testing.KafkaTestClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;

/**
 * Metering fault: a billing consumer instance dies between its database commit and its offset commit (closed
 * hard at that point, nothing committed to Kafka), and a new instance of the group starts over from the last
 * committed offsets. It does what the consumer does (one transaction per batch through the real
 * {@link UsageRecorder}, offsets committed after it), on a topic of its own so the application's consumer cannot
 * bill the events in its place. The redelivered batch changes nothing: each event id is billed once and the
 * ledger's tokens equal the tokens served.
 */
@QuarkusTest
@QuarkusTestResource(value = EmbeddedServicesResource.class, restrictToAnnotatedClass = false)
class BillingConsumerCrashTest {
    private static final int EVENTS = 600;
    private static final int PARTITIONS = 3;
    private static final Duration DRAIN_WAIT = Duration.ofSeconds(60);

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;
    @Inject
    UsageRecorder recorder;
    @Inject
    DataSource dataSource;

    @Test
    void aConsumerKilledBetweenItsDatabaseCommitAndItsOffsetCommitBillsNothingTwice() throws Exception {
        given().header("Authorization", "Bearer " + EmbeddedServicesResource.ADMIN_KEY).contentType(ContentType.JSON)
                .body("""
                        {"base_model":"crash-model","effective_from":"2020-01-01T00:00:00Z","charge_model":"flat",
                         "tiers":[{"up_to_tokens":null,"input_micros_per_token":10,"output_micros_per_token":20}]}""")
                .post("/admin/billing/prices").then().statusCode(201);
        String run = UUID.randomUUID().toString().substring(0, 8);
        String topic = UsageEvent.TOPIC + ".crash-" + run;
        String group = "maas-billing-crash-" + run;
        String prefix = "crash-" + run + "-";
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            admin.createTopics(List.of(new NewTopic(topic, PARTITIONS, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }

        Set<UUID> served = new HashSet<>();
        long tokensServed = 0;
        try (KafkaTestClient.AckedProducer producer = new KafkaTestClient.AckedProducer(bootstrap)) {
            for (int i = 0; i < EVENTS; i++) {
                int prompt = 1 + i % 89;
                int completion = 1 + i % 11;
                UsageEvent e = UsageEvent.of(UUID.randomUUID(), "/test", Instant.now(), new UsageData(prefix + (i % 12),
                        null, "crash-model", null, null, prompt, completion, UsageStatus.COMPLETED, "stop", null, 5L,
                        null));
                served.add(e.id());
                tokensServed += prompt + completion;
                String value = UsageEventCodec.encodeToString(e);
                producer.send(topic, e.data().tenantId(), value);
                if (i % 10 == 0) {
                    producer.send(topic, e.data().tenantId(), value); // a producer retry
                }
            }
            producer.flush();
        }

        // The first instance bills one batch properly, then a second one whose offsets it never commits.
        Set<UUID> consumed = new HashSet<>();
        Set<UUID> storedButNotCommitted = new HashSet<>();
        try (KafkaConsumer<String, String> first = consumer(group)) {
            first.subscribe(List.of(topic));
            List<UsageLedgerWriter.Delivered> batch = nextBatch(first);
            batch.forEach(d -> consumed.add(d.event().id()));
            recorder.record(batch);
            first.commitSync();
            batch = nextBatch(first);
            batch.forEach(d -> consumed.add(d.event().id()));
            UsageLedgerWriter.Outcome outcome = recorder.record(batch); // the database commit
            assertTrue(outcome.inserted() > 0, "the batch that is lost to Kafka was new to the database");
            batch.forEach(d -> storedButNotCommitted.add(d.event().id()));
            // Killed here: no offset commit (auto-commit is off, so closing commits nothing). A dead process
            // would leave the group only when its session expires; closing tells the group the same sooner.
            first.close(CloseOptions.timeout(Duration.ofSeconds(5)));
        }

        // A new instance of the group takes over from the last committed offsets and drains the topic.
        Set<UUID> redelivered = new HashSet<>();
        int duplicatesSkipped = 0;
        try (KafkaConsumer<String, String> second = consumer(group)) {
            second.subscribe(List.of(topic));
            long deadline = System.nanoTime() + DRAIN_WAIT.toNanos();
            while (!drained(second, topic)) {
                if (System.nanoTime() > deadline) {
                    fail("the restarted instance did not drain the topic within " + DRAIN_WAIT.toSeconds() + " s");
                }
                List<UsageLedgerWriter.Delivered> batch = poll(second);
                if (!batch.isEmpty()) {
                    batch.forEach(d -> consumed.add(d.event().id()));
                    duplicatesSkipped += recorder.record(batch).duplicates();
                    batch.stream().map(d -> d.event().id()).filter(storedButNotCommitted::contains)
                            .forEach(redelivered::add);
                }
                second.commitSync();
            }
        }
        assertEquals(served, consumed, "every event sent was consumed");
        assertEquals(storedButNotCommitted, redelivered, "the batch without an offset commit was delivered again");
        assertTrue(duplicatesSkipped >= storedButNotCommitted.size(), "and skipped as already stored");

        String like = prefix + "%";
        int events = served.size();
        assertEquals(events, scalar("select count(*) from usage_records where tenant_id like ?", like),
                "one usage record per event id");
        assertEquals(events, scalar("select count(*) from ledger_transactions where kind = 'usage' and tenant_id like ?",
                like), "one ledger transaction per event id");
        assertEquals(events, scalar("select count(distinct usage_event_id) from ledger_transactions"
                + " where kind = 'usage' and tenant_id like ?", like));
        assertEquals(tokensServed, scalar("""
                select coalesce(sum(e.tokens), 0) from ledger_entries e join ledger_transactions t on t.id = e.transaction_id
                where t.kind = 'usage' and t.tenant_id like ? and e.account = 'tenant:' || t.tenant_id || ':receivable'""",
                like), "the ledger's tokens are exactly the tokens served");
        assertEquals(tokensServed, scalar("select coalesce(sum(tokens_prompt + tokens_completion), 0)"
                + " from usage_rollups_hourly where tenant_id like ?", like));
        assertEquals(events, scalar("select coalesce(sum(requests), 0) from usage_rollups_hourly where tenant_id like ?",
                like));
    }

    private KafkaConsumer<String, String> consumer(String group) {
        return new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, group,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "150",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class));
    }

    private static List<UsageLedgerWriter.Delivered> nextBatch(KafkaConsumer<String, String> consumer) {
        long deadline = System.nanoTime() + DRAIN_WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            List<UsageLedgerWriter.Delivered> batch = poll(consumer);
            if (!batch.isEmpty()) {
                return batch;
            }
        }
        throw new AssertionError("no batch within " + DRAIN_WAIT.toSeconds() + " s");
    }

    private static List<UsageLedgerWriter.Delivered> poll(KafkaConsumer<String, String> consumer) {
        ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(200));
        List<UsageLedgerWriter.Delivered> batch = new ArrayList<>();
        for (ConsumerRecord<String, String> r : records) {
            batch.add(new UsageLedgerWriter.Delivered(UsageEventCodec.decode(r.value()), r.partition(), r.offset()));
        }
        return batch;
    }

    /** True once the instance holds every partition and has consumed it to its end. */
    private static boolean drained(KafkaConsumer<String, String> consumer, String topic) {
        Set<TopicPartition> assigned = consumer.assignment();
        if (assigned.size() < PARTITIONS) {
            return false;
        }
        Map<TopicPartition, Long> end = consumer.endOffsets(assigned);
        Map<TopicPartition, Long> position = new HashMap<>();
        assigned.forEach(tp -> position.put(tp, consumer.position(tp)));
        assertFalse(end.isEmpty(), "end offsets of " + topic);
        return position.equals(end);
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
