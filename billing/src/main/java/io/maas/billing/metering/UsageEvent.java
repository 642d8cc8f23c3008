package io.maas.billing.metering;

import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * One request's metered usage as a CloudEvents 1.0 structured-mode envelope (topic {@value #TOPIC}).
 * The {@code id} is made once per request and is the idempotency key of everything downstream.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.ALWAYS)
public record UsageEvent(
        String specversion,
        UUID id,
        String source,
        String type,
        Instant time,
        String datacontenttype,
        @JsonInclude(JsonInclude.Include.NON_NULL) String traceparent,
        @JsonInclude(JsonInclude.Include.NON_NULL) String requestid,
        UsageData data) {

    public static final String TOPIC = "maas.usage.v1";
    public static final String DEAD_LETTER_TOPIC = "maas.usage.v1.dlq";
    /** The type carries the schema version; a breaking change is a new type and a new topic. */
    public static final String TYPE = "io.maas.usage.v1";
    public static final String SPEC_VERSION = "1.0";

    public UsageEvent {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(data, "data");
    }

    public static UsageEvent of(UUID id, String source, Instant time, UsageData data) {
        return of(id, source, time, null, data);
    }

    /** With the W3C trace context of the request (CloudEvents distributed-tracing extension), if any. */
    public static UsageEvent of(UUID id, String source, Instant time, String traceparent, UsageData data) {
        return of(id, source, time, traceparent, null, data);
    }

    /** With the trace context and the request id the caller saw in {@code x-request-id} (extension {@code requestid}). */
    public static UsageEvent of(UUID id, String source, Instant time, String traceparent, String requestId,
            UsageData data) {
        return new UsageEvent(SPEC_VERSION, id, source, TYPE, time, "application/json", traceparent, requestId, data);
    }

    /** Checks what the consumer needs before it may bill the event; throws with the field at fault. */
    public void validate() {
        if (!SPEC_VERSION.equals(specversion)) {
            throw new InvalidUsageEventException("specversion must be 1.0, was " + specversion);
        }
        if (!TYPE.equals(type)) {
            throw new InvalidUsageEventException("unsupported type " + type);
        }
        data.validate();
    }
}
