package io.maas.app.observability;

import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import io.maas.app.config.MaasConfig;

/**
 * Asks the Kafka cluster, with a short timeout and a short-lived cache, whether it answers (for readiness) and
 * how far a consumer group trails a topic (for the consumer-lag gauge). One admin client, made on first use.
 */
@ApplicationScoped
public class KafkaProbe {
    @Inject
    MaasConfig config;
    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    private Admin admin;
    private Answer<String> cluster;
    private final Map<String, Answer<Long>> lags = new HashMap<>();

    /** A value (or the failure's message) and when it was learnt. */
    record Answer<T>(T value, String error, long atNanos) {
    }

    /** The cluster id when the cluster answered within the timeout, else the reason it did not. */
    public synchronized Answer<String> describeCluster() {
        if (fresh(cluster)) {
            return cluster;
        }
        long timeoutMs = config.observability().kafkaHealthTimeout().toMillis();
        try {
            String id = admin().describeCluster().clusterId().get(timeoutMs, TimeUnit.MILLISECONDS);
            cluster = new Answer<>(id, null, System.nanoTime());
        } catch (Exception e) {
            cluster = new Answer<>(null, describe(e), System.nanoTime());
        }
        return cluster;
    }

    /**
     * Messages of {@code topic} the group has not committed yet, summed over partitions (a partition the group never
     * committed counts from its start); -1 when the cluster did not answer.
     */
    public synchronized long consumerLag(String group, String topic) {
        String key = group + "/" + topic;
        Answer<Long> cached = lags.get(key);
        if (fresh(cached)) {
            return cached.value();
        }
        long timeoutMs = config.observability().kafkaHealthTimeout().toMillis();
        long lag;
        try {
            Map<TopicPartition, OffsetAndMetadata> committed = admin().listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata().get(timeoutMs, TimeUnit.MILLISECONDS);
            var partitions = admin().describeTopics(java.util.List.of(topic)).allTopicNames()
                    .get(timeoutMs, TimeUnit.MILLISECONDS).get(topic).partitions();
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
            for (var p : partitions) {
                latest.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest());
                earliest.put(new TopicPartition(topic, p.partition()), OffsetSpec.earliest());
            }
            Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = admin().listOffsets(latest).all()
                    .get(timeoutMs, TimeUnit.MILLISECONDS);
            Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> starts = admin().listOffsets(earliest).all()
                    .get(timeoutMs, TimeUnit.MILLISECONDS);
            lag = 0;
            for (var e : ends.entrySet()) {
                OffsetAndMetadata c = committed.get(e.getKey());
                long from = c != null ? c.offset() : starts.get(e.getKey()).offset();
                lag += Math.max(0, e.getValue().offset() - from);
            }
        } catch (Exception e) {
            lag = -1;
        }
        lags.put(key, new Answer<>(lag, null, System.nanoTime()));
        return lag;
    }

    private boolean fresh(Answer<?> answer) {
        return answer != null
                && System.nanoTime() - answer.atNanos() < config.observability().kafkaHealthCacheTtl().toNanos();
    }

    private Admin admin() {
        if (admin == null) {
            Properties props = new Properties();
            props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
            int timeoutMs = (int) Math.max(500, config.observability().kafkaHealthTimeout().toMillis());
            props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, timeoutMs);
            props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, timeoutMs);
            props.put(AdminClientConfig.CLIENT_ID_CONFIG, "maas-probe");
            admin = Admin.create(props);
        }
        return admin;
    }

    private static String describe(Exception e) {
        Throwable cause = e.getCause() != null ? e.getCause() : e;
        return cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": " + cause.getMessage());
    }

    @PreDestroy
    synchronized void close() {
        if (admin != null) {
            admin.close(java.time.Duration.ofSeconds(2));
            admin = null;
        }
    }
}
