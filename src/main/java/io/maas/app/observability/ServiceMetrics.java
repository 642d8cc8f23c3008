package io.maas.app.observability;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import io.maas.billing.metering.UsageEvent;
import io.maas.billing.usage.UsageConsumer;
import io.maas.billing.usage.UsageConsumerStats;
import io.maas.fleet.worker.WorkerService;
import io.maas.gateway.inference.EngineSchedulers;
import io.maas.gateway.inference.GenerationExecutor;
import io.maas.gateway.inference.ModelRegistry;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.StartupEvent;

/**
 * Gauges and counters read from the components that already keep the numbers (engine queue, loaded models,
 * resident adapters, billing consumer counts, consumer lag), registered once at start. The metering publisher
 * registers its own ({@code maas.metering.*}, see docs/metering.md).
 */
@ApplicationScoped
public class ServiceMetrics {
    /** The billing consumer group (as configured for channel {@value UsageConsumer#CHANNEL}). */
    static final String BILLING_GROUP = "maas-billing";

    @Inject
    MeterRegistry registry;
    @Inject
    GenerationExecutor engineThreads;
    @Inject
    EngineSchedulers schedulers;
    @Inject
    ModelRegistry models;
    @Inject
    UsageConsumerStats billing;
    @Inject
    KafkaProbe kafka;
    @Inject
    RequestTimelines timelines;
    @Inject
    WorkerService worker;

    void register(@Observes StartupEvent event) {
        Gauge.builder("maas.engine.queue.depth", engineThreads, GenerationExecutor::queued)
                .description("requests waiting for an engine thread").register(registry);
        Gauge.builder("maas.engine.active", engineThreads, GenerationExecutor::active)
                .description("requests generating on an engine thread now").register(registry);
        Gauge.builder("maas.scheduler.queue.depth", schedulers, EngineSchedulers::queued)
                .description("requests waiting for a place in a continuous batch").register(registry);
        Gauge.builder("maas.scheduler.running", schedulers, EngineSchedulers::running)
                .description("sequences in the running continuous batches").register(registry);
        Gauge.builder("maas.models.loaded", models, m -> m.modelIds().size())
                .description("base models loaded and served").register(registry);
        for (String id : models.modelIds()) {
            Gauge.builder("maas.adapters.resident", models,
                    m -> m.find(id).map(e -> e.adapterIds().size()).orElse(0))
                    .description("adapters resident in the engine of a base model").tag("model", id)
                    .register(registry);
        }
        // The worker's side of the fleet (its status endpoint reports the same figures to gateways).
        Gauge.builder("maas.fleet.internal.in.flight", worker, WorkerService::inFlight)
                .description("internal generate calls from gateways running on this worker").register(registry);
        Gauge.builder("maas.fleet.internal.draining", worker, w -> w.draining() ? 1 : 0)
                .description("1 once this worker is shutting down and refuses new internal calls").register(registry);
        Gauge.builder("maas.requests.open", timelines, RequestTimelines::openCount)
                .description("REST requests in progress (linked timelines)").register(registry);

        FunctionCounter.builder("maas.billing.events.rated", billing, UsageConsumerStats::eventsRated)
                .description("usage events stored, rated and posted to the ledger (first occurrence)").register(registry);
        FunctionCounter.builder("maas.billing.events.duplicate", billing, UsageConsumerStats::duplicates)
                .description("redelivered usage events skipped (already stored)").register(registry);
        FunctionCounter.builder("maas.billing.batches", billing, UsageConsumerStats::batches)
                .description("usage batches committed").register(registry);
        FunctionCounter.builder("maas.billing.events.dead.lettered", billing, UsageConsumerStats::deadLetteredCount)
                .description("unbillable usage records sent to " + UsageEvent.DEAD_LETTER_TOPIC).register(registry);
        FunctionCounter.builder("maas.billing.store.failures", billing, UsageConsumerStats::storeFailures)
                .description("failed attempts to store a usage batch (database away; retried)").register(registry);
        Gauge.builder("maas.billing.consumer.lag", kafka, k -> k.consumerLag(BILLING_GROUP, UsageEvent.TOPIC))
                .description("usage records not yet committed by the billing consumer group (-1: Kafka did not answer)")
                .tag("group", BILLING_GROUP).tag("topic", UsageEvent.TOPIC).register(registry);
    }
}
