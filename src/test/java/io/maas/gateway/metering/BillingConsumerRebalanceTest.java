package io.maas.gateway.metering;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

import javax.sql.DataSource;

import jakarta.inject.Inject;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.utils.Utils;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import io.maas.billing.metering.InvalidUsageEventException;
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
 * Metering fault: a second billing consumer instance joins group {@code maas-billing} while events flow (and
 * leaves again), so partitions move between it and the application's own consumer twice, with batches in
 * flight; some events are also produced twice (a producer retry) and one record is poison. The second instance
 * does what the consumer does (one database transaction per batch through the real {@link UsageRecorder},
 * offsets committed only after it). Afterwards the ledger holds each event id exactly once and its token totals
 * equal the tokens served.
 *
 * <p>Every wait that depends on traffic keeps the stream flowing while it waits. A join takes up to a heartbeat
 * interval (3 s) before the application's consumer rejoins, and a warm consumer has by then billed and, on
 * revocation, committed everything already produced: a stream paused until the newcomer bills something would
 * leave it assigned partitions with nothing to read (the cause of this test's earlier flakiness).
 */
@QuarkusTest
@QuarkusTestResource(value = EmbeddedServicesResource.class, restrictToAnnotatedClass = false)
class BillingConsumerRebalanceTest {
    private static final String GROUP = "maas-billing";
    private static final String SECOND_CLIENT_ID = "second-billing-instance";
    private static final int TENANTS_PER_PARTITION = 8;
    /** Events per step of the stream: ~1,250 events/s with the pause below, in the spirit of steady traffic. */
    private static final int STEP_EVENTS = 50;
    private static final long STEP_PAUSE_MS = 40;
    /** Upper bound of each wait on the group (a join or a leave takes seconds; the stream is bounded by this). */
    private static final Duration GROUP_WAIT = Duration.ofSeconds(60);

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;
    @Inject
    UsageRecorder recorder;
    @Inject
    DataSource dataSource;

    /** The usage the test serves: what it produced, counted once per event id. */
    private static final class Stream {
        private final List<String> tenants;
        private final KafkaTestClient.AckedProducer producer;
        private final Set<UUID> ids = new HashSet<>();
        private long tokens;
        private int sent;

        Stream(List<String> tenants, KafkaTestClient.AckedProducer producer) {
            this.tenants = tenants;
            this.producer = producer;
        }

        /** Sends {@code count} events, every tenth twice (a producer retry: the same id on the topic twice). */
        void send(int count) throws InterruptedException {
            for (int i = 0; i < count; i++) {
                int n = sent++;
                int prompt = 1 + n % 97;
                int completion = 1 + n % 13;
                UsageEvent e = UsageEvent.of(UUID.randomUUID(), "/test", Instant.now(),
                        new UsageData(tenants.get(n % tenants.size()), null, "rebalance-model", null, null, prompt,
                                completion, UsageStatus.COMPLETED, "stop", null, 5L, null));
                ids.add(e.id());
                tokens += prompt + completion;
                String value = UsageEventCodec.encodeToString(e);
                producer.send(UsageEvent.TOPIC, e.data().tenantId(), value);
                if (n % 10 == 0) {
                    producer.send(UsageEvent.TOPIC, e.data().tenantId(), value);
                }
                if (n % STEP_EVENTS == STEP_EVENTS - 1) {
                    producer.flush();
                    Thread.sleep(STEP_PAUSE_MS);
                }
            }
            producer.flush();
        }

        /** Keeps the stream flowing until {@code done} holds; fails with {@code what} after {@link #GROUP_WAIT}. */
        void sendUntil(BooleanSupplier done, String what) throws InterruptedException {
            long deadline = System.nanoTime() + GROUP_WAIT.toNanos();
            while (!done.getAsBoolean()) {
                if (System.nanoTime() > deadline) {
                    fail(what + " within " + GROUP_WAIT.toSeconds() + " s of steady traffic (" + sent + " events sent)");
                }
                send(STEP_EVENTS);
            }
        }

        void poison(String tenant) {
            producer.send(UsageEvent.TOPIC, tenant, "{not a usage event");
        }
    }

    /** What the second instance saw; written by its thread, read by the test. */
    private static final class SecondInstance {
        final AtomicBoolean running = new AtomicBoolean(true);
        final Set<TopicPartition> assigned = ConcurrentHashMap.newKeySet();
        final Set<TopicPartition> everAssigned = ConcurrentHashMap.newKeySet();
        final Set<Integer> billedPartitions = ConcurrentHashMap.newKeySet();
        final AtomicInteger revocations = new AtomicInteger();
        final AtomicInteger inserted = new AtomicInteger();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final String tenantPrefix;

        SecondInstance(String tenantPrefix) {
            this.tenantPrefix = tenantPrefix;
        }
    }

    @Test
    void aSecondConsumerJoiningAndLeavingMidStreamCountsEveryEventOnce() throws Exception {
        given().header("Authorization", "Bearer " + EmbeddedServicesResource.ADMIN_KEY).contentType(ContentType.JSON)
                .body("""
                        {"base_model":"rebalance-model","effective_from":"2020-01-01T00:00:00Z","charge_model":"flat",
                         "tiers":[{"up_to_tokens":null,"input_micros_per_token":10,"output_micros_per_token":20}]}""")
                .post("/admin/billing/prices").then().statusCode(201);
        String prefix = "rb-" + UUID.randomUUID().toString().substring(0, 6) + "-";

        SecondInstance second = new SecondInstance(prefix);
        Thread secondThread = new Thread(() -> {
            try {
                secondInstance(second);
            } catch (Throwable t) {
                second.failure.set(t);
            }
        }, "second-billing-consumer");
        Stream stream;
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
                KafkaTestClient.AckedProducer producer = new KafkaTestClient.AckedProducer(bootstrap)) {
            int partitions = admin.describeTopics(List.of(UsageEvent.TOPIC)).allTopicNames().get(30, TimeUnit.SECONDS)
                    .get(UsageEvent.TOPIC).partitions().size();
            assertTrue(partitions >= 2, "the usage topic has partitions to split between two instances");
            stream = new Stream(tenantsCoveringEveryPartition(prefix, partitions), producer);
            try {
                // 1. The application's consumer alone.
                stream.send(750);

                // 2. A second instance joins mid-stream: a rebalance while batches are in flight.
                secondThread.start();
                stream.sendUntil(() -> !second.assigned.isEmpty() || second.failure.get() != null,
                        "the second instance was not given a partition");
                assertNull(second.failure.get(), "the second instance failed");
                Map<String, Set<TopicPartition>> split = awaitGroup(admin, 2, partitions);
                assertEquals(second.assigned, split.get(SECOND_CLIENT_ID), "the group's view of the second instance");

                // 3. Both bill the stream; a poison record mid-stream, whichever instance holds its partition.
                stream.send(500);
                stream.poison(prefix + "0");
                stream.sendUntil(() -> second.inserted.get() > 0 || second.failure.get() != null,
                        "the second instance billed no event of its partitions");
                stream.send(500);

                // 4. The second instance leaves mid-stream: its partitions move back to the application's consumer.
                second.running.set(false);
                stream.sendUntil(() -> !secondThread.isAlive(), "the second instance did not leave");
                Map<String, Set<TopicPartition>> back = awaitGroup(admin, 1, partitions);
                assertTrue(!back.containsKey(SECOND_CLIENT_ID), "the second instance left the group: " + back);
                stream.send(750);
            } finally {
                second.running.set(false);
                secondThread.join(60_000);
            }
        }

        assertNull(second.failure.get(), "the second instance failed");
        assertTrue(second.inserted.get() > 0, "the second instance billed part of the stream");
        Set<Integer> held = second.everAssigned.stream().map(TopicPartition::partition).collect(Collectors.toSet());
        assertTrue(!second.billedPartitions.isEmpty() && held.containsAll(second.billedPartitions),
                "the second instance billed records of the partitions it held: billed " + second.billedPartitions
                        + ", held " + held);
        assertTrue(second.revocations.get() >= 1, "partitions moved away from the second instance again");

        int events = stream.ids.size();
        long tokensServed = stream.tokens;
        String like = prefix + "%";
        await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> assertEquals(events,
                scalar("select count(*) from usage_records where tenant_id like ?", like)));
        // Each event id once: stored once, one ledger transaction each, rollups count each request once.
        assertEquals(events, scalar("select count(distinct event_id) from usage_records where tenant_id like ?", like));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertEquals(events,
                scalar("select count(*) from ledger_transactions where kind = 'usage' and tenant_id like ?", like)));
        assertEquals(events, scalar("select count(distinct usage_event_id) from ledger_transactions"
                + " where kind = 'usage' and tenant_id like ?", like));
        assertEquals(tokensServed, scalar("""
                select coalesce(sum(e.tokens), 0) from ledger_entries e join ledger_transactions t on t.id = e.transaction_id
                where t.kind = 'usage' and t.tenant_id like ? and e.account = 'tenant:' || t.tenant_id || ':receivable'""",
                like), "the ledger's tokens are exactly the tokens served");
        assertEquals(tokensServed, scalar("select coalesce(sum(tokens_prompt + tokens_completion), 0)"
                + " from usage_rollups_daily where tenant_id like ?", like));
        assertEquals(events, scalar("select coalesce(sum(requests), 0) from usage_rollups_daily where tenant_id like ?",
                like));
        assertEquals(0, scalar("""
                select count(*) from (select t.period_start from ledger_entries e
                join ledger_transactions t on t.id = e.transaction_id group by t.period_start
                having sum(e.debit_micros) <> sum(e.credit_micros)) unbalanced""", null));
    }

    /**
     * Tenant ids such that every partition of the topic gets {@value #TENANTS_PER_PARTITION} of them under the
     * producer's default partitioner (murmur2 of the key), so whichever partitions the second instance holds,
     * the stream writes to them.
     */
    private static List<String> tenantsCoveringEveryPartition(String prefix, int partitions) {
        Map<Integer, Integer> perPartition = new HashMap<>();
        List<String> tenants = new ArrayList<>();
        for (int n = 0; tenants.size() < TENANTS_PER_PARTITION * partitions; n++) {
            String tenant = prefix + n;
            int partition = Utils.toPositive(Utils.murmur2(tenant.getBytes(StandardCharsets.UTF_8))) % partitions;
            if (perPartition.merge(partition, 1, Integer::sum) <= TENANTS_PER_PARTITION) {
                tenants.add(tenant);
            }
        }
        return tenants;
    }

    /**
     * Waits until the group is stable with {@code members} members whose assignments are disjoint, non-empty and
     * cover every partition; returns each member's partitions by client id.
     */
    private static Map<String, Set<TopicPartition>> awaitGroup(Admin admin, int members, int partitions) {
        AtomicReference<Map<String, Set<TopicPartition>>> seen = new AtomicReference<>();
        await().atMost(GROUP_WAIT).untilAsserted(() -> {
            Collection<MemberDescription> described = admin.describeConsumerGroups(List.of(GROUP)).all()
                    .get(10, TimeUnit.SECONDS).get(GROUP).members();
            Map<String, Set<TopicPartition>> byClient = new HashMap<>();
            int total = 0;
            Set<TopicPartition> union = new HashSet<>();
            for (MemberDescription m : described) {
                Set<TopicPartition> owned = m.assignment().topicPartitions();
                assertTrue(!owned.isEmpty(), "member " + m.clientId() + " holds a partition: " + described);
                byClient.put(m.clientId(), owned);
                total += owned.size();
                union.addAll(owned);
            }
            assertEquals(members, described.size(), "members of " + GROUP + ": " + described);
            assertEquals(partitions, total, "each partition held once: " + byClient);
            assertEquals(partitions, union.size(), "every partition held: " + byClient);
            seen.set(byClient);
        });
        return seen.get();
    }

    /** A second billing instance in the same group: store each batch in one transaction, then commit offsets. */
    private void secondInstance(SecondInstance state) {
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, GROUP,
                ConsumerConfig.CLIENT_ID_CONFIG, SECOND_CLIENT_ID,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "200",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class))) {
            consumer.subscribe(List.of(UsageEvent.TOPIC), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                    if (!partitions.isEmpty()) {
                        state.revocations.incrementAndGet();
                    }
                    state.assigned.removeAll(partitions);
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                    state.everAssigned.addAll(partitions);
                    state.assigned.addAll(partitions);
                }
            });
            while (state.running.get()) {
                ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(100));
                if (records.isEmpty()) {
                    continue;
                }
                List<UsageLedgerWriter.Delivered> batch = new ArrayList<>();
                for (ConsumerRecord<String, String> r : records) {
                    UsageEvent event;
                    try {
                        event = UsageEventCodec.decode(r.value());
                    } catch (InvalidUsageEventException unbillable) {
                        // Earlier tests leave poison records on the topic; offsets committed on a throttle can
                        // hand them to this instance again. The real consumer dead-letters them (tested
                        // elsewhere); this instance only has to step over them.
                        continue;
                    }
                    batch.add(new UsageLedgerWriter.Delivered(event, r.partition(), r.offset()));
                }
                if (!batch.isEmpty()) {
                    UsageLedgerWriter.Outcome outcome = storeWithRetry(batch);
                    // Counted only for batches of this test's events alone, so leftovers of earlier tests that
                    // this instance happened to store first cannot pass for its share of the stream.
                    boolean ours = batch.stream().allMatch(d -> d.event().data().tenantId()
                            .startsWith(state.tenantPrefix));
                    if (ours && outcome.inserted() > 0) {
                        batch.forEach(d -> state.billedPartitions.add(d.partition()));
                        state.inserted.addAndGet(outcome.inserted());
                    }
                }
                consumer.commitSync();
            }
        }
    }

    private UsageLedgerWriter.Outcome storeWithRetry(List<UsageLedgerWriter.Delivered> batch) {
        for (int attempt = 1; ; attempt++) {
            try {
                return recorder.record(batch);
            } catch (RuntimeException e) {
                // E.g. a deadlock with the other instance on the same event ids: retry, as the consumer does.
                if (attempt == 20) {
                    throw e;
                }
                sleep(50L * attempt);
            }
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private long scalar(String sql, String param) throws Exception {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            if (param != null) {
                ps.setString(1, param);
            }
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }
}
