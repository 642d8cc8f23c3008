package io.maas.billing.usage;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import io.maas.billing.metering.InvalidUsageEventException;
import io.maas.billing.metering.UsageEvent;
import io.maas.billing.metering.UsageEventCodec;
import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.reactive.messaging.annotations.Blocking;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;

/**
 * The billing consumer group's entry point. Each record is stored in its own database transaction and
 * acknowledged only after that commit, so Kafka offsets never run ahead of the database. Unbillable
 * records are nacked, which the channel's dead-letter strategy sends to {@value UsageEvent#DEAD_LETTER_TOPIC}.
 */
@ApplicationScoped
public class UsageConsumer {
    /** Channel bound to topic {@value UsageEvent#TOPIC}; configured in the application's properties. */
    public static final String CHANNEL = "usage-in";

    private static final Logger LOG = Logger.getLogger(UsageConsumer.class);
    private static final long RETRY_BACKOFF_MAX_MS = 5_000;

    @Inject
    UsageRecorder recorder;

    private volatile boolean stopping;

    void onStop(@Observes ShutdownEvent event) {
        stopping = true;
    }

    /** Neither acked nor nacked: its offset is not committed, so the record is delivered again after restart. */
    private static CompletionStage<Void> leaveForRedelivery() {
        return new CompletableFuture<>();
    }

    @Incoming(CHANNEL)
    @Blocking(ordered = true)
    public CompletionStage<Void> consume(Message<String> message) {
        Integer partition = null;
        Long offset = null;
        var metadata = message.getMetadata(IncomingKafkaRecordMetadata.class);
        if (metadata.isPresent()) {
            partition = metadata.get().getPartition();
            offset = metadata.get().getOffset();
        }
        UsageEvent event;
        try {
            event = UsageEventCodec.decode(message.getPayload());
        } catch (InvalidUsageEventException e) {
            LOG.warnf("usage record at partition %s offset %s is unbillable: %s", partition, offset, e.getMessage());
            return message.nack(e);
        }
        for (int attempt = 1; ; attempt++) {
            if (stopping) {
                return leaveForRedelivery();
            }
            try {
                if (!recorder.record(event, partition, offset)) {
                    LOG.debugf("usage event %s already recorded; duplicate delivery ignored", event.id());
                }
                return message.ack();
            } catch (RuntimeException e) {
                if (isDataError(e)) {
                    LOG.warnf("usage event %s rejected by the database: %s", event.id(), e.getMessage());
                    return message.nack(new InvalidUsageEventException("rejected by the database: " + e.getMessage(), e));
                }
                // The database is away: hold this partition (no ack, no dead letter) and retry, so nothing is lost.
                long backoffMs = Math.min(RETRY_BACKOFF_MAX_MS, 100L << Math.min(attempt, 6));
                LOG.warnf("usage event %s not stored (attempt %d), retrying in %d ms: %s", event.id(), attempt, backoffMs,
                        e.getMessage());
                if (stopping || !sleep(backoffMs)) {
                    return leaveForRedelivery();
                }
            }
        }
    }

    private static boolean isDataError(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof org.hibernate.exception.DataException
                    || t instanceof org.hibernate.exception.ConstraintViolationException) {
                return true;
            }
        }
        return false;
    }

    private static boolean sleep(long millis) {
        try {
            Thread.sleep(millis);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
