package io.maas.app.observability;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.maas.app.config.MaasConfig;
import io.maas.billing.metering.UsageData;
import io.maas.billing.metering.UsageEvent;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * The per-request timings behind the request metrics and the slow-request log. Hot code calls one-line hooks
 * ({@link #authenticated}, {@link #admitted}, {@link #engineStarted}, {@link #metered}) with the request id; the
 * timeline of that id, opened by {@link RequestTimingFilter}, collects the marks, and {@link #ended} records the
 * metrics and logs the request if it took at least {@code maas.observability.slow-request-threshold}.
 * Metrics are tagged by endpoint, base model and status only: no tenant, key or adapter ids (ADR 0011).
 */
@ApplicationScoped
public class RequestTimelines {
    /** The logger of slow requests (one WARN line each, with the breakdown). */
    public static final String SLOW_LOG = "io.maas.slow-requests";
    private static final Logger SLOW = Logger.getLogger(SLOW_LOG);
    /** Bound on timelines open at once; beyond it new requests are simply not broken down. */
    static final int MAX_OPEN = 100_000;

    @Inject
    MaasConfig config;
    @Inject
    MeterRegistry registry;

    private final Map<String, RequestTimeline> open = new ConcurrentHashMap<>();
    private final Map<String, Meter> meters = new ConcurrentHashMap<>();
    private volatile long slowThresholdNanos;

    @PostConstruct
    void init() {
        setSlowRequestThreshold(config.observability().slowRequestThreshold());
    }

    /** Changes the slow-request threshold of this running instance (configuration sets it at start). */
    public void setSlowRequestThreshold(Duration threshold) {
        slowThresholdNanos = threshold.toNanos();
    }

    public Duration slowRequestThreshold() {
        return Duration.ofNanos(slowThresholdNanos);
    }

    /** A new timeline, started now; {@link #link} makes it reachable by the request id. */
    RequestTimeline begin(String method, String path, long startedNanos) {
        return new RequestTimeline(method, path, startedNanos);
    }

    void link(String requestId, RequestTimeline timeline) {
        if (requestId == null || open.size() >= MAX_OPEN) {
            return;
        }
        // A caller may reuse an x-request-id on concurrent calls: the first keeps the id, the others go unlinked.
        if (open.putIfAbsent(requestId, timeline) == null) {
            timeline.requestId = requestId;
        }
    }

    /** Hook: the request is authenticated and its body parsed; admission starts. */
    public void authenticated(String requestId) {
        RequestTimeline t = find(requestId);
        if (t != null) {
            t.authenticatedNanos = System.nanoTime();
        }
    }

    /** Hook: admission (validation, limits, quota) passed; the request goes to the engine queue. */
    public void admitted(String requestId) {
        RequestTimeline t = find(requestId);
        if (t != null) {
            t.admittedNanos = System.nanoTime();
        }
    }

    /** Hook: an engine thread took the request off the queue. */
    public void engineStarted(String requestId) {
        RequestTimeline t = find(requestId);
        if (t != null && t.engineStartedNanos == 0) {
            t.engineStartedNanos = System.nanoTime();
        }
    }

    /** Hook: the request's usage event was recorded (generation is over): counts tokens and time to first token. */
    public void metered(UsageEvent event) {
        UsageData d = event.data();
        String model = d.baseModel() == null ? "unknown" : d.baseModel();
        RequestTimeline t = find(event.requestid());
        String endpoint = t == null ? "none" : t.path;
        meter("tokens", model, "prompt", () -> Counter.builder("maas.tokens")
                .description("tokens processed, by base model and kind (prompt or completion)")
                .tag("model", model).tag("kind", "prompt").register(registry)).increment(d.promptTokens());
        meter("tokens", model, "completion", () -> Counter.builder("maas.tokens")
                .description("tokens processed, by base model and kind (prompt or completion)")
                .tag("model", model).tag("kind", "completion").register(registry)).increment(d.completionTokens());
        if (d.timeToFirstTokenMs() != null) {
            meter("ttft", endpoint, model, () -> Timer.builder("maas.request.ttft")
                    .description("time to first token (prefill), by endpoint and base model")
                    .tag("endpoint", endpoint).tag("model", model).publishPercentileHistogram()
                    .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofMinutes(2))
                    .register(registry)).record(d.timeToFirstTokenMs(), TimeUnit.MILLISECONDS);
        }
        if (t == null) {
            return;
        }
        t.generatedNanos = System.nanoTime();
        t.model = model;
        t.usageStatus = d.status() == null ? null : d.status().name().toLowerCase();
        t.ttftMs = d.timeToFirstTokenMs() == null ? -1 : d.timeToFirstTokenMs();
        t.promptTokens = d.promptTokens();
        t.completionTokens = d.completionTokens();
        t.traceId = d.traceId();
        long decodeMs = t.decodeMs();
        if (decodeMs > 0 && d.completionTokens() > 1) {
            meter("decode", model, "", () -> DistributionSummary.builder("maas.request.decode.tokens.per.second")
                    .description("decode speed of one request (completion tokens after the first, per second)")
                    .tag("model", model).register(registry)).record((d.completionTokens() - 1) * 1000.0 / decodeMs);
        }
    }

    /** The response has ended (or the connection closed): records the request's latency and logs it if slow. */
    void ended(RequestTimeline t, int httpStatus) {
        t.endedNanos = System.nanoTime();
        t.httpStatus = httpStatus;
        if (t.requestId != null) {
            open.remove(t.requestId, t);
        }
        if (t.model != null) {
            String status = String.valueOf(t.usageStatus);
            meter("duration", t.path + '\n' + t.model, status, () -> Timer.builder("maas.request.duration")
                    .description("metered requests to the last byte, by endpoint, base model and outcome")
                    .tag("endpoint", t.path).tag("model", t.model).tag("status", status)
                    .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
                    .maximumExpectedValue(Duration.ofMinutes(10)).register(registry))
                    .record(t.endedNanos - t.startedNanos, TimeUnit.NANOSECONDS);
        }
        if (t.endedNanos - t.startedNanos >= slowThresholdNanos) {
            SLOW.warn(t.describe());
        }
    }

    /** Timelines linked and not yet ended (a gauge: it must return to zero when traffic stops). */
    public int openCount() {
        return open.size();
    }

    /**
     * The meter of this name and tag values, registered once: building the id and asking the registry on every
     * request cost more than recording (tags are sorted and filtered per call). Bounded like the registry itself:
     * tag values are endpoints, base models and outcomes.
     */
    @SuppressWarnings("unchecked")
    private <M extends Meter> M meter(String kind, String a, String b, Supplier<M> register) {
        return (M) meters.computeIfAbsent(kind + '\n' + a + '\n' + b, k -> register.get());
    }

    private RequestTimeline find(String requestId) {
        return requestId == null ? null : open.get(requestId);
    }
}
