package io.maas.gateway.metering;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import io.maas.app.config.MaasConfig;
import io.maas.app.observability.RequestTimelines;
import io.maas.billing.metering.UsageEvent;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.Startup;

/**
 * The gateway's usage-event publisher ({@value UsageEvent#TOPIC}, key = tenant id): wires
 * {@link UsageEventPublisher} to configuration, the spool folder and metrics. Started with the application
 * so events spooled before a crash or an outage are replayed without waiting for traffic.
 */
@Startup
@ApplicationScoped
public class UsagePublisher {
    private static final Logger LOG = Logger.getLogger(UsagePublisher.class);

    @Inject
    MaasConfig config;
    @Inject
    MeterRegistry registry;
    @Inject
    RequestTimelines timelines;
    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    private volatile UsageEventPublisher publisher;

    @PostConstruct
    void start() {
        MaasConfig.Metering metering = config.metering();
        Path spoolDir = metering.spoolDir().orElse(config.dataDir().resolve("spool").resolve("usage"));
        UsageSpool spool;
        try {
            spool = UsageSpool.open(spoolDir, metering.spoolMaxBytes(), metering.spoolFsyncInterval().toMillis());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the usage spool " + spoolDir, e);
        }
        if (spool.pendingEntries() > 0) {
            LOG.infof("usage spool %s holds %d events from before; replaying them", spoolDir, spool.pendingEntries());
        }
        Timer latency = Timer.builder("maas.metering.publish.latency")
                .description("time from recording a usage event to the broker's acknowledgement")
                .publishPercentiles(0.5, 0.99)
                .register(registry);
        var producerConfig = UsageEventPublisher.producerConfig(bootstrapServers, metering.deliveryTimeout().toMillis());
        publisher = new UsageEventPublisher(() -> new KafkaProducer<>(producerConfig), spool, metering.queueCapacity(),
                metering.batchMaxEvents(), metering.spoolMaxBytes(), metering.linger(), nanos -> latency.record(nanos, TimeUnit.NANOSECONDS));
        Gauge.builder("maas.metering.queue.depth", () -> publisher.stats().queueDepth()).register(registry);
        Gauge.builder("maas.metering.spool.entries", () -> publisher.stats().spoolEntries()).register(registry);
        Gauge.builder("maas.metering.spool.bytes", () -> publisher.stats().spoolBytes()).register(registry);
        Gauge.builder("maas.metering.published", () -> publisher.stats().published()).register(registry);
        Gauge.builder("maas.metering.spooled", () -> publisher.stats().spooled()).register(registry);
        Gauge.builder("maas.metering.publish.failures", () -> publisher.stats().publishFailures()).register(registry);
        Gauge.builder("maas.metering.lost", () -> publisher.stats().lost()).register(registry);
    }

    /** Records a usage event; never blocks the caller. */
    public void publish(UsageEvent event) {
        publisher.record(event);
        timelines.metered(event);
    }

    /** False while the spool is nearly full: new requests are refused rather than served unmetered. */
    public boolean isAccepting() {
        return publisher.isAccepting();
    }

    /** Changes the running publisher's batch linger ({@code maas.metering.linger} at start). */
    public void setLinger(java.time.Duration linger) {
        publisher.setLinger(linger);
    }

    public UsageEventPublisher.Stats stats() {
        return publisher.stats();
    }

    /**
     * For tests: puts another (real) publisher in this one's place, e.g. one with a tiny spool bound, and returns
     * the one it replaced, which keeps running; the caller puts it back and closes its replacement.
     */
    UsageEventPublisher replaceForTest(UsageEventPublisher replacement) {
        UsageEventPublisher previous = publisher;
        publisher = replacement;
        return previous;
    }

    @PreDestroy
    void stop() {
        try {
            publisher.close();
        } catch (IOException e) {
            LOG.error("usage spool did not close cleanly", e);
        }
    }
}
