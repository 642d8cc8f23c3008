package io.maas.gateway.metering;

import java.util.concurrent.CompletableFuture;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;
import org.jboss.logging.Logger;

import io.maas.billing.metering.UsageEvent;
import io.maas.billing.metering.UsageEventCodec;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;

/**
 * Publishes usage events to {@value UsageEvent#TOPIC}, keyed by tenant, without waiting for the broker:
 * the request path only enqueues. The producer is idempotent with {@code acks=all}.
 */
@ApplicationScoped
public class UsagePublisher {
    /** Channel bound to topic {@value UsageEvent#TOPIC}. */
    public static final String CHANNEL = "usage-out";
    /** Events waiting for the producer; beyond it {@link #publish} reports the overflow. */
    static final int BUFFER_EVENTS = 10_000;

    private static final Logger LOG = Logger.getLogger(UsagePublisher.class);

    @Inject
    @Channel(CHANNEL)
    @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = BUFFER_EVENTS)
    Emitter<String> emitter;

    /** Hands the event to the producer; the returned stage completes when the broker acknowledged it. */
    public CompletableFuture<Void> publish(UsageEvent event) {
        String json = UsageEventCodec.encodeToString(event);
        CompletableFuture<Void> acked = new CompletableFuture<>();
        Message<String> message = Message.of(json)
                .addMetadata(OutgoingKafkaRecordMetadata.<String>builder().withKey(event.data().tenantId()).build())
                .withAck(() -> {
                    acked.complete(null);
                    return CompletableFuture.completedFuture(null);
                })
                .withNack(failure -> {
                    // Until the durable spool exists this line is the event's last trace: it carries the full event.
                    LOG.errorf("usage event %s NOT published: %s; event=%s", event.id(), failure.getMessage(), json);
                    acked.completeExceptionally(failure);
                    return CompletableFuture.completedFuture(null);
                });
        try {
            emitter.send(message);
        } catch (RuntimeException e) {
            LOG.errorf("usage event %s NOT published: %s; event=%s", event.id(), e.getMessage(), json);
            acked.completeExceptionally(e);
        }
        return acked;
    }
}
