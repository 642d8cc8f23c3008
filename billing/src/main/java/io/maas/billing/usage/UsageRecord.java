package io.maas.billing.usage;

import java.time.Instant;
import java.util.UUID;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;

/** One stored usage event; written only by {@link UsageRecorder}, never updated. */
@Entity
@Table(name = "usage_records")
public class UsageRecord extends PanacheEntityBase {
    @Id
    @Column(name = "event_id")
    public UUID eventId;
    @Column(name = "tenant_id")
    public String tenantId;
    @Column(name = "api_key_id")
    public UUID apiKeyId;
    @Column(name = "base_model")
    public String baseModel;
    public String adapter;
    public String provider;
    @Column(name = "tokens_prompt")
    public int tokensPrompt;
    @Column(name = "tokens_completion")
    public int tokensCompletion;
    public String status;
    @Column(name = "finish_reason")
    public String finishReason;
    @Column(name = "ttft_ms")
    public Long ttftMs;
    @Column(name = "duration_ms")
    public Long durationMs;
    @Column(name = "trace_id")
    public String traceId;
    @Column(name = "occurred_at")
    public Instant occurredAt;
    @Column(name = "recorded_at")
    public Instant recordedAt;
    @Column(name = "kafka_partition")
    public Integer kafkaPartition;
    @Column(name = "kafka_offset")
    public Long kafkaOffset;
}
