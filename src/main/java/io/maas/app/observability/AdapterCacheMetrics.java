package io.maas.app.observability;

import java.util.Set;
import java.util.function.Supplier;

import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.maas.inference.engine.LlamaEngine;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.Startup;

/**
 * Counts what the adapter cache does: a request whose adapter was resident (hit), one that had to load it
 * (load, timed), and the resident adapters that load pushed out under the engine's LRU bound (eviction).
 * Called from {@code AdapterRegistry.ensureLoaded} by one-line hooks.
 */
// Started eagerly so the counters are on /q/metrics (at zero) before the first adapter request.
@Startup
@ApplicationScoped
public class AdapterCacheMetrics {
    @Inject
    MeterRegistry registry;

    private Counter hits;
    private Counter loads;
    private Counter evictions;
    private Timer loadTime;

    @PostConstruct
    void init() {
        hits = Counter.builder("maas.adapter.cache.hits").description("requests whose adapter was already resident")
                .register(registry);
        loads = Counter.builder("maas.adapter.cache.loads").description("adapters loaded into an engine on demand")
                .register(registry);
        evictions = Counter.builder("maas.adapter.cache.evictions")
                .description("resident adapters unloaded to make room (LRU bound per base model)").register(registry);
        loadTime = Timer.builder("maas.adapter.load.duration").description("time to read and validate one adapter")
                .register(registry);
    }

    /** Hook: the adapter was resident. */
    public void hit() {
        hits.increment();
    }

    /** Hook around a load: times it and counts the adapters it evicted (resident before, gone after). */
    public <T> T load(LlamaEngine engine, Supplier<T> load) {
        Set<String> before = engine.adapterIds();
        long started = System.nanoTime();
        T result = load.get();
        loadTime.record(System.nanoTime() - started, java.util.concurrent.TimeUnit.NANOSECONDS);
        loads.increment();
        Set<String> after = engine.adapterIds();
        evictions.increment(before.stream().filter(id -> !after.contains(id)).count());
        return result;
    }
}
