package io.maas.billing.usage;

import java.sql.Timestamp;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;

import io.maas.billing.metering.UsageData;
import io.maas.billing.metering.UsageEvent;

/**
 * Stores usage events exactly once: the event id is the primary key and the insert skips an id
 * already present, inside the caller's transaction, so a redelivered event changes nothing.
 */
@ApplicationScoped
public class UsageRecorder {
    private static final String INSERT = """
            insert into usage_records (event_id, tenant_id, api_key_id, base_model, adapter, provider,
                tokens_prompt, tokens_completion, status, finish_reason, ttft_ms, duration_ms, trace_id,
                occurred_at, kafka_partition, kafka_offset)
            values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)
            on conflict (event_id) do nothing
            """;

    @Inject
    EntityManager entityManager;

    /**
     * Records one event.
     *
     * @return true if it was new, false if this event id was already recorded (a duplicate delivery)
     */
    @Transactional
    public boolean record(UsageEvent event, Integer kafkaPartition, Long kafkaOffset) {
        UsageData data = event.data();
        int inserted = entityManager.createNativeQuery(INSERT)
                .setParameter(1, event.id())
                .setParameter(2, data.tenantId())
                .setParameter(3, data.apiKeyId())
                .setParameter(4, data.baseModel())
                .setParameter(5, data.adapter())
                .setParameter(6, data.provider())
                .setParameter(7, data.promptTokens())
                .setParameter(8, data.completionTokens())
                .setParameter(9, data.status().wireName())
                .setParameter(10, data.finishReason())
                .setParameter(11, data.timeToFirstTokenMs())
                .setParameter(12, data.durationMs())
                .setParameter(13, data.traceId())
                .setParameter(14, Timestamp.from(event.time()))
                .setParameter(15, kafkaPartition)
                .setParameter(16, kafkaOffset)
                .executeUpdate();
        return inserted == 1;
    }
}
