package io.maas.billing.usage;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;

import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

import org.apache.kafka.common.header.internals.RecordHeaders;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import io.maas.billing.metering.InvalidUsageEventException;
import io.maas.billing.metering.UsageEvent;
import io.maas.billing.metering.UsageEventCodec;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.reactive.messaging.annotations.Blocking;
import io.smallrye.reactive.messaging.kafka.KafkaRecord;
import io.smallrye.reactive.messaging.kafka.KafkaRecordBatch;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;

/**
 * The billing consumer group's entry point. Each polled batch is stored in one database transaction and
 * acknowledged only after that commit, so Kafka offsets never run ahead of the database; redelivery after a
 * crash in between is harmless because stored event ids are skipped. Unbillable records are copied to
 * {@value UsageEvent#DEAD_LETTER_TOPIC} with the reason in a header before the batch is acknowledged, so the
 * partition keeps moving and nothing disappears.
 */
@ApplicationScoped
public class UsageConsumer {
    /** Channel bound to topic {@value UsageEvent#TOPIC}, in batch mode; configured in application properties. */
    public static final String CHANNEL = "usage-in";
    /** Channel bound to topic {@value UsageEvent#DEAD_LETTER_TOPIC}. */
    public static final String DEAD_LETTER_CHANNEL = "usage-dlq";
    public static final String REASON_HEADER = "dead-letter-reason";
    /** Name of the span that continues a usage record's trace while the consumer stores it. */
    public static final String SPAN_NAME = "maas.billing.usage";

    private static final Logger LOG = Logger.getLogger(UsageConsumer.class);
    private static final long RETRY_BACKOFF_MAX_MS = 5_000;
    private static final long DEAD_LETTER_ACK_TIMEOUT_S = 30;

    @Inject
    UsageRecorder recorder;
    @Inject
    UsageConsumerStats stats;

    @Inject
    @Channel(DEAD_LETTER_CHANNEL)
    Emitter<String> deadLetters;
    @Inject
    Instance<Tracer> tracers;

    private Tracer tracer;

    @PostConstruct
    void init() {
        // The application provides the OpenTelemetry SDK; without it (a bare library use) spans are no-ops.
        tracer = tracers.isResolvable() ? tracers.get() : OpenTelemetry.noop().getTracer("maas-billing");
    }

    private volatile boolean stopping;

    void onStop(@Observes ShutdownEvent event) {
        stopping = true;
    }

    private record Poison(KafkaRecord<String, String> record, String reason) {
    }

    @Incoming(CHANNEL)
    @Blocking(ordered = true)
    public CompletionStage<Void> consume(KafkaRecordBatch<String, String> batch) {
        List<UsageLedgerWriter.Delivered> good = new ArrayList<>();
        List<Poison> poison = new ArrayList<>();
        List<Span> spans = new ArrayList<>();
        for (KafkaRecord<String, String> record : batch) {
            Span span = startSpan(record);
            spans.add(span);
            try {
                UsageEvent event = UsageEventCodec.decode(record.getPayload());
                span.setAttribute("maas.usage.event_id", event.id().toString());
                good.add(new UsageLedgerWriter.Delivered(event, record.getPartition(), offsetOf(record)));
            } catch (InvalidUsageEventException e) {
                span.setStatus(StatusCode.ERROR, "dead-lettered: " + e.getMessage());
                poison.add(new Poison(record, e.getMessage()));
            }
        }
        try {
            storeWithRetry(good, batch, poison);
            for (Poison p : poison) {
                deadLetter(p.record(), p.reason());
            }
        } catch (StoppingException e) {
            // Neither acked nor nacked: the offsets stay uncommitted and the batch is delivered again after restart.
            spans.forEach(s -> s.setStatus(StatusCode.ERROR, "not stored: shutting down").end());
            return new CompletableFuture<>();
        } catch (RuntimeException e) {
            spans.forEach(s -> s.setStatus(StatusCode.ERROR, String.valueOf(e.getMessage())).end());
            throw e;
        }
        spans.forEach(Span::end);
        return batch.ack();
    }

    /** Stores the batch; a batch the database refuses is stored event by event so only the bad one is set aside. */
    private void storeWithRetry(List<UsageLedgerWriter.Delivered> good, KafkaRecordBatch<String, String> batch,
            List<Poison> poison) {
        try {
            storeRetryingOutages(good);
        } catch (UsageRecorder.DataRejectedException rejected) {
            LOG.warnf("usage batch refused by the database (%s); storing its %d events one by one",
                    rejected.getMessage(), good.size());
            for (UsageLedgerWriter.Delivered d : good) {
                try {
                    storeRetryingOutages(List.of(d));
                } catch (UsageRecorder.DataRejectedException e) {
                    poison.add(new Poison(recordOf(batch, d), "rejected by the database: " + e.getMessage()));
                }
            }
        }
    }

    private void storeRetryingOutages(List<UsageLedgerWriter.Delivered> events) {
        for (int attempt = 1; ; attempt++) {
            if (stopping) {
                throw new StoppingException();
            }
            try {
                stats.stored(recorder.record(events));
                return;
            } catch (UsageRecorder.DataRejectedException e) {
                throw e;
            } catch (RuntimeException e) {
                // The database is away: hold this partition (no ack, no dead letter) and retry, so nothing is lost.
                stats.storeFailed();
                long backoffMs = Math.min(RETRY_BACKOFF_MAX_MS, 100L << Math.min(attempt, 6));
                LOG.warnf("usage batch of %d not stored (attempt %d), retrying in %d ms: %s", events.size(), attempt,
                        backoffMs, e.getMessage());
                sleep(backoffMs);
            }
        }
    }

    /**
     * A consumer span per record, child of the context in its {@code traceparent} header (the gateway request
     * that produced it), so one trace runs gateway → worker → Kafka → here. Sampling is the application's.
     */
    private Span startSpan(KafkaRecord<String, String> record) {
        Context parent = W3CTraceContextPropagator.getInstance().extract(Context.root(), record.getHeaders(),
                HEADERS);
        return tracer.spanBuilder(SPAN_NAME).setParent(parent).setSpanKind(SpanKind.CONSUMER)
                .setAttribute("messaging.system", "kafka").setAttribute("messaging.destination.name", UsageEvent.TOPIC)
                .setAttribute("messaging.kafka.destination.partition", record.getPartition())
                .startSpan();
    }

    /** Reads W3C trace headers from a Kafka record (last value wins, as the producer sets each once). */
    private static final TextMapGetter<Headers> HEADERS = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Headers headers) {
            List<String> keys = new ArrayList<>();
            for (Header h : headers) {
                keys.add(h.key());
            }
            return keys;
        }

        @Override
        public String get(Headers headers, String key) {
            Header h = headers == null ? null : headers.lastHeader(key);
            return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.US_ASCII);
        }
    };

    private static long offsetOf(KafkaRecord<String, String> record) {
        return record.getMetadata(IncomingKafkaRecordMetadata.class)
                .map(IncomingKafkaRecordMetadata::getOffset)
                .orElseThrow(() -> new IllegalStateException("a polled record without Kafka metadata"));
    }

    private static KafkaRecord<String, String> recordOf(KafkaRecordBatch<String, String> batch,
            UsageLedgerWriter.Delivered d) {
        for (KafkaRecord<String, String> r : batch) {
            if (r.getPartition() == d.partition() && offsetOf(r) == d.offset()) {
                return r;
            }
        }
        throw new IllegalStateException("event " + d.event().id() + " is not in its batch");
    }

    /** Copies the record to the dead-letter topic and waits for the broker to acknowledge it. */
    private void deadLetter(KafkaRecord<String, String> record, String reason) {
        LOG.warnf("usage record at partition %d offset %d is unbillable, sent to %s: %s", record.getPartition(),
                offsetOf(record), UsageEvent.DEAD_LETTER_TOPIC, reason);
        for (int attempt = 1; ; attempt++) {
            if (stopping) {
                throw new StoppingException();
            }
            CompletableFuture<Void> acked = new CompletableFuture<>();
            RecordHeaders headers = new RecordHeaders();
            headers.add(REASON_HEADER, reason.getBytes(StandardCharsets.UTF_8));
            headers.add("dead-letter-topic", record.getTopic().getBytes(StandardCharsets.UTF_8));
            headers.add("dead-letter-partition", Integer.toString(record.getPartition()).getBytes(StandardCharsets.UTF_8));
            headers.add("dead-letter-offset", Long.toString(offsetOf(record)).getBytes(StandardCharsets.UTF_8));
            Message<String> message = Message.of(record.getPayload())
                    .addMetadata(OutgoingKafkaRecordMetadata.<String>builder().withKey(record.getKey())
                            .withHeaders(headers).build())
                    .withAck(() -> {
                        acked.complete(null);
                        return CompletableFuture.completedFuture(null);
                    })
                    .withNack(failure -> {
                        acked.completeExceptionally(failure);
                        return CompletableFuture.completedFuture(null);
                    });
            try {
                deadLetters.send(message);
                acked.get(DEAD_LETTER_ACK_TIMEOUT_S, TimeUnit.SECONDS);
                stats.deadLettered();
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StoppingException();
            } catch (Exception e) {
                long backoffMs = Math.min(RETRY_BACKOFF_MAX_MS, 100L << Math.min(attempt, 6));
                LOG.warnf("dead letter not acknowledged (attempt %d), retrying in %d ms: %s", attempt, backoffMs,
                        e.getMessage());
                sleep(backoffMs);
            }
        }
    }

    private void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoppingException();
        }
    }

    /** The application is stopping: leave the batch unacknowledged for redelivery. */
    private static final class StoppingException extends RuntimeException {
        StoppingException() {
            super(null, null, false, false);
        }
    }
}
