package io.maas.gateway.metering;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.jboss.logging.Logger;

import io.maas.billing.metering.UsageEvent;
import io.maas.billing.metering.UsageEventCodec;

/**
 * Gets usage events to Kafka without ever holding up a request, and without losing them to a broker outage.
 *
 * <p>The request thread only offers the event to a bounded in-memory queue. One drainer thread sends queued
 * events in batches through an idempotent {@code acks=all} producer. Events the broker does not acknowledge,
 * and events arriving while the queue is full, go to the durable {@link UsageSpool}; while the spool holds
 * anything, everything new goes behind it and the drainer replays it in order, acknowledging spool entries
 * only after the broker acknowledged them. Delivery is at least once: the billing consumer dedupes by event id.
 */
public final class UsageEventPublisher implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(UsageEventPublisher.class);
    private static final long POLL_MS = 50;
    private static final long BACKOFF_MIN_MS = 100;
    private static final long BACKOFF_MAX_MS = 5_000;
    /** Above this share of its bound the spool stops taking new work (see {@link #isAccepting()}). */
    private static final double SPOOL_ADMISSION_LIMIT = 0.9;

    /** An event waiting in memory, with the instant it was recorded (for the publish-latency metric). */
    private record Pending(UsageEvent event, long recordedNanos) {
    }

    /** What the publisher observes about itself; all fields monotonic counters except where noted. */
    public record Stats(int queueDepth, long spoolEntries, long spoolBytes, long published, long spooled,
            long publishFailures, long lost) {
    }

    /** Receives the time from record() to broker acknowledgement of each event published straight away. */
    public interface LatencyListener {
        void published(long latencyNanos);
    }

    private final Supplier<Producer<String, byte[]>> producerFactory;
    private final UsageSpool spool;
    private final ArrayBlockingQueue<Pending> queue;
    private final int batchMaxEvents;
    private volatile long lingerNanos;
    private final long spoolMaxBytes;
    private final LatencyListener latency;
    private final Thread drainer;
    private final Object wake = new Object();
    private final AtomicLong published = new AtomicLong();
    private final AtomicLong spooled = new AtomicLong();
    private final AtomicLong publishFailures = new AtomicLong();
    private final AtomicLong lost = new AtomicLong();
    private Producer<String, byte[]> producer;
    private volatile boolean running = true;
    private long backoffMs = BACKOFF_MIN_MS;

    public UsageEventPublisher(Supplier<Producer<String, byte[]>> producerFactory, UsageSpool spool, int queueCapacity,
            int batchMaxEvents, long spoolMaxBytes, LatencyListener latency) {
        this(producerFactory, spool, queueCapacity, batchMaxEvents, spoolMaxBytes, java.time.Duration.ZERO, latency);
    }

    /**
     * With {@code linger}: a batch is sent once its first event is that old (or the batch is full), so under load
     * one produce request to the broker carries many events instead of one or two (ADR 0021).
     */
    public UsageEventPublisher(Supplier<Producer<String, byte[]>> producerFactory, UsageSpool spool, int queueCapacity,
            int batchMaxEvents, long spoolMaxBytes, java.time.Duration linger, LatencyListener latency) {
        this.lingerNanos = linger.toNanos();
        this.producerFactory = producerFactory;
        this.spool = spool;
        this.queue = new ArrayBlockingQueue<>(queueCapacity);
        this.batchMaxEvents = batchMaxEvents;
        this.spoolMaxBytes = spoolMaxBytes;
        this.latency = latency;
        this.producer = producerFactory.get();
        this.drainer = new Thread(this::drainLoop, "maas-usage-publisher");
        this.drainer.setDaemon(true);
        this.drainer.start();
    }

    /**
     * Records one event; never blocks. A full queue sends the event to the spool from this thread (a buffered
     * file append); only a full spool loses it, which {@link #isAccepting()} exists to prevent.
     */
    public void record(UsageEvent event) {
        if (queue.offer(new Pending(event, System.nanoTime()))) {
            return;
        }
        spoolOrLose(event, "in-memory queue full");
    }

    /** False when the spool is nearly full: the gateway then refuses new work rather than lose its usage. */
    public boolean isAccepting() {
        return spool.sizeBytes() < spoolMaxBytes * SPOOL_ADMISSION_LIMIT;
    }

    public Stats stats() {
        return new Stats(queue.size(), spool.pendingEntries(), spool.sizeBytes(), published.get(), spooled.get(),
                publishFailures.get(), lost.get());
    }

    private void drainLoop() {
        List<Pending> batch = new ArrayList<>(batchMaxEvents);
        while (running) {
            try {
                if (spool.pendingEntries() > 0) {
                    moveQueueToSpool();
                    if (!replaySpoolBatch()) {
                        pauseWhileSpooling();
                    }
                    continue;
                }
                batch.clear();
                Pending first = queue.poll(POLL_MS, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                lingerAfter(first);
                queue.drainTo(batch, batchMaxEvents - 1);
                sendBatch(batch);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException | IOException e) {
                LOG.errorf(e, "usage publisher loop error; retrying");
                sleepQuietly(BACKOFF_MIN_MS);
            }
        }
    }

    /** Changes how long a batch waits for more events after its first (configuration sets it at start; benches A/B it). */
    public void setLinger(java.time.Duration linger) {
        lingerNanos = linger.toNanos();
    }

    /** Lets more events join the batch until its first one is {@code linger} old, unless the batch is already full. */
    private void lingerAfter(Pending first) throws InterruptedException {
        long remaining = first.recordedNanos() + lingerNanos - System.nanoTime();
        if (remaining > 0 && queue.size() < batchMaxEvents - 1 && running) {
            java.util.concurrent.locks.LockSupport.parkNanos(remaining);
            if (Thread.currentThread().isInterrupted()) {
                throw new InterruptedException(); // halted: as when interrupted in poll
            }
        }
    }

    /** Sends a batch straight from memory; whatever the broker did not acknowledge goes to the spool, in order. */
    private void sendBatch(List<Pending> batch) {
        List<Future<RecordMetadata>> futures = new ArrayList<>(batch.size());
        boolean sendFailed = false;
        for (Pending pending : batch) {
            futures.add(sendFailed ? null : trySend(pending.event().data().tenantId(),
                    UsageEventCodec.encode(pending.event()), pending.event().traceparent()));
            sendFailed |= futures.get(futures.size() - 1) == null;
        }
        producer.flush();
        boolean failed = false;
        for (int i = 0; i < batch.size(); i++) {
            Pending pending = batch.get(i);
            if (!failed && succeeded(futures.get(i))) {
                published.incrementAndGet();
                latency.published(System.nanoTime() - pending.recordedNanos());
            } else {
                // After the first failure keep order: this and every later event of the batch go to the spool.
                failed = true;
                spoolOrLose(pending.event(), "broker did not acknowledge");
            }
        }
        if (failed) {
            publishFailures.incrementAndGet();
            renewProducer();
        }
    }

    /** Replays the oldest spooled events; true when they were all acknowledged by the broker. */
    private boolean replaySpoolBatch() throws IOException {
        // While the broker is failing, probe with one event: a whole batch would wait out the delivery timeout.
        List<UsageSpool.Entry> entries = spool.peek(backoffMs > BACKOFF_MIN_MS ? 1 : batchMaxEvents);
        if (entries.isEmpty()) {
            return true;
        }
        List<Future<RecordMetadata>> futures = new ArrayList<>(entries.size());
        for (UsageSpool.Entry entry : entries) {
            Future<RecordMetadata> future = trySend(entry.key(), entry.value(), traceparentOf(entry.value()));
            futures.add(future);
            if (future == null) {
                break;
            }
        }
        producer.flush();
        long acknowledgedUpTo = -1;
        for (int i = 0; i < futures.size() && succeeded(futures.get(i)); i++) {
            acknowledgedUpTo = entries.get(i).sequence();
        }
        if (acknowledgedUpTo >= 0) {
            spool.acknowledge(acknowledgedUpTo);
            published.addAndGet(futures.stream().takeWhile(this::succeeded).count());
        }
        boolean all = acknowledgedUpTo == entries.get(entries.size() - 1).sequence();
        if (all) {
            backoffMs = BACKOFF_MIN_MS;
        } else {
            publishFailures.incrementAndGet();
            renewProducer();
        }
        return all;
    }

    /** Waits out the back-off while still taking events off the queue, so the queue never overflows. */
    private void pauseWhileSpooling() throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(backoffMs);
        backoffMs = Math.min(BACKOFF_MAX_MS, backoffMs * 2);
        while (running && System.nanoTime() < until) {
            moveQueueToSpool();
            synchronized (wake) {
                wake.wait(POLL_MS);
            }
        }
    }

    private void moveQueueToSpool() {
        Pending pending;
        while ((pending = queue.poll()) != null) {
            spoolOrLose(pending.event(), "spool has older events");
        }
    }

    private void spoolOrLose(UsageEvent event, String why) {
        try {
            spool.append(event.data().tenantId(), UsageEventCodec.encode(event));
            spooled.incrementAndGet();
        } catch (SpoolFullException | IllegalArgumentException | IllegalStateException | UncheckedIOException e) {
            lost.incrementAndGet();
            // The last trace of this event: the whole event, so it can be re-sent by hand.
            LOG.errorf("usage event %s LOST (%s; spool: %s); event=%s", event.id(), why, e.getMessage(),
                    UsageEventCodec.encodeToString(event));
        }
    }

    private Future<RecordMetadata> trySend(String key, byte[] value, String traceparent) {
        ProducerRecord<String, byte[]> record = new ProducerRecord<>(UsageEvent.TOPIC, key, value);
        if (traceparent != null) {
            record.headers().add(new RecordHeader(TraceContext.HEADER, traceparent.getBytes(StandardCharsets.US_ASCII)));
        }
        Future<RecordMetadata> future;
        try {
            future = producer.send(record);
        } catch (RuntimeException e) {
            LOG.debugf("send refused: %s", e.getMessage());
            return null;
        }
        // Metadata unavailable within max.block.ms comes back as an already-failed future, not an exception:
        // stop the batch there instead of waiting max.block.ms once per event.
        return future.isDone() && !succeeded(future) ? null : future;
    }

    private boolean succeeded(Future<RecordMetadata> future) {
        if (future == null) {
            return false;
        }
        try {
            future.get(0, TimeUnit.MILLISECONDS);
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    private static String traceparentOf(byte[] json) {
        try {
            return UsageEventCodec.decode(new String(json, StandardCharsets.UTF_8)).traceparent();
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** A fresh producer after a failed batch: an idempotent producer can be left in a state it cannot leave. */
    private void renewProducer() {
        try {
            producer.close(java.time.Duration.ZERO);
        } catch (RuntimeException e) {
            LOG.debug("closing a failed producer", e);
        }
        producer = producerFactory.get();
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Stops the drainer, tries once more to send what is in memory (bounded by the producer's delivery
     * timeout), spools whatever was not acknowledged, and makes the spool durable.
     */
    @Override
    public void close() throws IOException {
        running = false;
        synchronized (wake) {
            wake.notifyAll();
        }
        try {
            drainer.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<Pending> rest = new ArrayList<>();
        queue.drainTo(rest);
        if (!rest.isEmpty()) {
            if (spool.pendingEntries() > 0) {
                rest.forEach(p -> spoolOrLose(p.event(), "shutting down behind spooled events"));
            } else {
                sendBatch(rest);
            }
        }
        try {
            producer.close(java.time.Duration.ofSeconds(5));
        } finally {
            spool.close();
        }
    }

    /** For fault tests: stops like a killed process would, keeping only what the spool already made durable. */
    void haltForTest() throws IOException {
        running = false;
        drainer.interrupt();
        try {
            drainer.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        producer.close(java.time.Duration.ZERO);
        spool.close();
    }

    /** Producer settings: idempotent, acks=all, short linger; bounded so a dead broker is noticed in seconds. */
    public static Map<String, Object> producerConfig(String bootstrapServers, long deliveryTimeoutMs) {
        return Map.of(
                "bootstrap.servers", bootstrapServers,
                "acks", "all",
                "enable.idempotence", true,
                "linger.ms", 5,
                "max.block.ms", 1_000,
                "request.timeout.ms", (int) Math.min(Integer.MAX_VALUE, Math.max(1_000, deliveryTimeoutMs / 3)),
                "delivery.timeout.ms", (int) deliveryTimeoutMs,
                "key.serializer", "org.apache.kafka.common.serialization.StringSerializer",
                "value.serializer", "org.apache.kafka.common.serialization.ByteArraySerializer");
    }
}
