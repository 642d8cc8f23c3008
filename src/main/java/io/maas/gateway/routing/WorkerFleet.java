package io.maas.gateway.routing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.maas.app.config.MaasConfig;
import io.maas.fleet.FleetWire;
import io.maas.gateway.api.OpenAiException;
import io.maas.gateway.completion.GenerationBackend;
import io.maas.gateway.completion.GenerationService;
import io.maas.inference.InferenceException;
import io.maas.inference.engine.FinishReason;
import io.maas.inference.engine.GenerationListener;
import io.maas.inference.engine.GenerationRequest;
import io.maas.inference.engine.GenerationResult;
import io.maas.inference.engine.TokenLogprob;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.maas.gateway.metering.TraceContext;

/**
 * The gateway's view of the worker fleet ({@code maas.fleet.workers}): polls each worker's status, keeps the live
 * ones on an {@link AffinityRouter} ring keyed by base+adapter, and generates there. A call that fails before
 * anything of it reached the client (connection refused, worker gone, overloaded, draining; for a whole response any
 * time before its result, for a stream until its first delta was relayed) is started again from scratch on another
 * worker, and only that attempt counts; after a delta was relayed a failure is the request's failure, as it would be
 * locally (docs/adr/0022-fleet-retry-until-first-byte.md).
 */
@ApplicationScoped
public class WorkerFleet implements GenerationBackend {
    private static final Logger LOG = Logger.getLogger(WorkerFleet.class);

    /** How a request was placed, for the {@code maas.fleet.routed} counter. */
    public enum Placement {
        /** The key's home on the ring. */
        HOME,
        /** Not the home, but a worker that reported the adapter resident. */
        RESIDENT,
        /** Neither: the home was over its bound, excluded or down. */
        SPILL;

        String tag() {
            return name().toLowerCase();
        }
    }

    /** A worker's state as the gateway sees it. */
    public enum State {
        /** Answered its last poll and takes work. */
        LIVE,
        /** Answered, but is shutting down: no new work. */
        DRAINING,
        /** Did not answer its last poll, or failed a call since. */
        DOWN;

        String tag() {
            return name().toLowerCase();
        }
    }

    /** One configured worker: its state, its last reported status (null before any) and when it was polled. */
    public record WorkerView(String url, State state, FleetWire.Status status, Instant polledAt, String error,
            int gatewayInFlight) {
    }

    @Inject
    MaasConfig config;
    @Inject
    MeterRegistry registry;
    @Inject
    Tracer tracer;

    private AffinityRouter router;
    private HttpClient http;
    private ScheduledExecutorService poller;
    private volatile List<String> configured = List.of();
    /** What each live worker last reported. */
    private final Map<String, FleetWire.Status> statuses = new ConcurrentHashMap<>();
    /** Every configured worker's last known state. */
    private final Map<String, WorkerView> views = new ConcurrentHashMap<>();
    /** Per-worker gauges, removed when a worker leaves the configuration. */
    private final Map<String, List<Meter>> workerMeters = new ConcurrentHashMap<>();
    private final Map<Placement, Counter> routed = new java.util.EnumMap<>(Placement.class);
    private Counter retries;

    @PostConstruct
    void init() {
        router = new AffinityRouter(AffinityRouter.DEFAULT_VIRTUAL_NODES, config.fleet().loadFactorPercent());
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(config.fleet().connectTimeout()).build();
        for (Placement p : Placement.values()) {
            routed.put(p, Counter.builder("maas.fleet.routed").tag("placement", p.tag())
                    .description("requests placed on a worker: its key's home, a worker with the adapter resident, "
                            + "or a spill").register(registry));
        }
        retries = Counter.builder("maas.fleet.retries")
                .description("calls retried on another worker after a failure before anything reached the client").register(registry);
        for (State state : State.values()) {
            Gauge.builder("maas.fleet.workers", this, f -> f.count(state)).tag("state", state.tag())
                    .description("configured workers by state as the gateway last saw them").register(registry);
        }
        useWorkers(config.fleet().workers().orElse(List.of()));
    }

    private long count(State state) {
        return views.values().stream().filter(v -> v.state() == state).count();
    }

    @PreDestroy
    void stop() {
        if (poller != null) {
            poller.shutdownNow();
        }
    }

    /** Whether generation goes to workers: some are configured. */
    public boolean enabled() {
        return !configured.isEmpty();
    }

    /**
     * Replaces the configured workers (startup uses {@code maas.fleet.workers}), polls them once at once, and keeps
     * polling every {@code maas.fleet.poll-interval}. An empty list returns generation to this process.
     */
    public synchronized void useWorkers(List<String> baseUrls) {
        List<String> urls = new ArrayList<>();
        for (String url : baseUrls) {
            String trimmed = url.trim();
            if (!trimmed.isEmpty()) {
                urls.add(trimmed.endsWith("/") ? trimmed.substring(0, trimmed.length() - 1) : trimmed);
            }
        }
        configured = List.copyOf(urls);
        statuses.keySet().retainAll(configured);
        views.keySet().retainAll(configured);
        for (String gone : new ArrayList<>(workerMeters.keySet())) {
            if (!configured.contains(gone)) {
                workerMeters.remove(gone).forEach(registry::remove);
            }
        }
        for (String url : configured) {
            views.putIfAbsent(url, new WorkerView(url, State.DOWN, null, null, "not polled yet", 0));
            workerMeters.computeIfAbsent(url, this::registerWorkerMeters);
        }
        if (urls.isEmpty()) {
            router.setWorkers(List.of());
            return;
        }
        if (config.fleet().internalToken().isEmpty()) {
            LOG.error("maas.fleet.workers is set without maas.fleet.internal-token: workers will refuse every call");
        }
        pollAll();
        if (poller == null) {
            poller = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "maas-fleet-poller");
                t.setDaemon(true);
                return t;
            });
            long every = config.fleet().pollInterval().toMillis();
            poller.scheduleWithFixedDelay(this::pollAllQuietly, every, every, TimeUnit.MILLISECONDS);
        }
    }

    /** The live workers (answered their last poll), sorted. */
    public List<String> liveWorkers() {
        return router.workers();
    }

    /** Each live worker's last reported status. */
    public Map<String, FleetWire.Status> statuses() {
        return Map.copyOf(statuses);
    }

    /** Every configured worker as last seen, in configuration order, with this gateway's in-flight calls on it. */
    public List<WorkerView> view() {
        Map<String, Integer> loads = router.loads();
        List<WorkerView> out = new ArrayList<>();
        for (String url : configured) {
            WorkerView v = views.get(url);
            if (v != null) {
                out.add(new WorkerView(v.url(), v.state(), v.status(), v.polledAt(), v.error(),
                        loads.getOrDefault(url, 0)));
            }
        }
        return out;
    }

    /** Requests placed so far by placement, and retries. */
    public Map<String, Long> routingCounts() {
        Map<String, Long> out = new java.util.LinkedHashMap<>();
        routed.forEach((p, c) -> out.put(p.tag(), (long) c.count()));
        out.put("retries", (long) retries.count());
        return out;
    }

    /** Gauges of one worker's reported queue, batch and this gateway's in-flight calls on it. */
    private List<Meter> registerWorkerMeters(String url) {
        List<Meter> meters = new ArrayList<>();
        meters.add(Gauge.builder("maas.fleet.worker.queue.depth", this, f -> f.reported(url, FleetWire.Status::queued))
                .tag("worker", url).description("requests waiting in the worker's scheduler (last poll; -1 unknown)")
                .register(registry));
        meters.add(Gauge.builder("maas.fleet.worker.running", this, f -> f.reported(url, FleetWire.Status::running))
                .tag("worker", url).description("sequences in the worker's running batches (last poll; -1 unknown)")
                .register(registry));
        meters.add(Gauge.builder("maas.fleet.worker.in.flight", this, f -> f.router.loads().getOrDefault(url, 0))
                .tag("worker", url).description("this gateway's calls running on the worker now").register(registry));
        return meters;
    }

    private double reported(String url, java.util.function.ToIntFunction<FleetWire.Status> field) {
        WorkerView v = views.get(url);
        return v == null || v.status() == null || v.state() == State.DOWN ? -1 : field.applyAsInt(v.status());
    }

    /** The worker requests for {@code key} ({@code base} or {@code base:adapter}) go to while none is loaded. */
    public Optional<String> home(String key) {
        return router.home(key);
    }

    private void pollAllQuietly() {
        try {
            pollAll();
        } catch (RuntimeException e) {
            LOG.warn("fleet status poll failed", e);
        }
    }

    /** Asks every configured worker for its status; those that answer form the ring. */
    synchronized void pollAll() {
        for (String worker : configured) {
            try {
                HttpResponse<byte[]> response = http.send(HttpRequest.newBuilder(URI.create(worker + FleetWire.STATUS_PATH))
                        .timeout(config.fleet().connectTimeout()).header(FleetWire.TOKEN_HEADER, token()).GET().build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                if (response.statusCode() == 200) {
                    FleetWire.Status status = FleetWire.JSON.readValue(response.body(), FleetWire.Status.class);
                    if (status.draining()) {
                        statuses.remove(worker);
                    } else {
                        statuses.put(worker, status);
                    }
                    views.put(worker, new WorkerView(worker, status.draining() ? State.DRAINING : State.LIVE, status,
                            Instant.now(), null, 0));
                } else {
                    statuses.remove(worker);
                    views.put(worker, new WorkerView(worker, State.DOWN, null, Instant.now(),
                            "status poll answered " + response.statusCode(), 0));
                    LOG.warnf("worker %s answered its status poll with %d; off the ring", worker, response.statusCode());
                }
            } catch (IOException e) {
                statuses.remove(worker);
                views.put(worker, new WorkerView(worker, State.DOWN, null, Instant.now(), "status poll: " + e, 0));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        router.setWorkers(statuses.keySet());
    }

    /** Takes a worker off the ring until its next successful poll. */
    private synchronized void markDown(String worker) {
        if (statuses.remove(worker) != null) {
            WorkerView was = views.get(worker);
            views.put(worker, new WorkerView(worker, State.DOWN, was == null ? null : was.status(), Instant.now(),
                    "failed a call", 0));
            LOG.warnf("worker %s failed a call; off the ring until it answers a poll", worker);
            router.setWorkers(statuses.keySet());
        }
    }

    @Override
    public GenerationResult generate(GenerationService.Target target, GenerationRequest request,
            GenerationListener listener, String requestId) {
        return generate(target, request, listener, requestId, null);
    }

    /**
     * As {@link #generate(GenerationService.Target, GenerationRequest, GenerationListener, String)}, continuing the
     * request's trace ({@code trace}, the context its usage event carries) on the worker: each call is a client
     * span whose W3C {@code traceparent} goes in the request headers.
     */
    public GenerationResult generate(GenerationService.Target target, GenerationRequest request,
            GenerationListener listener, String requestId, TraceContext trace) {
        String adapter = target.adapter() == null ? null : target.adapter().id();
        String key = adapter == null ? target.baseModel() : target.baseModel() + ":" + adapter;
        byte[] work = FleetWire.write(new FleetWire.Work(requestId, target.baseModel(), adapter, request.prompt(),
                request.maxTokens(), request.temperature(), request.topP(), request.topK(),
                request.seed().isPresent() ? request.seed().getAsLong() : null, request.stop(),
                request.presencePenalty(), request.frequencyPenalty(), request.logprobs(), request.topLogprobs()));
        Set<String> excluded = new HashSet<>();
        statuses.forEach((worker, status) -> {
            if (!status.models().contains(target.baseModel())) {
                excluded.add(worker);
            }
        });
        Context parent = parentContext(trace);
        RetryableFailure last = null;
        for (int attempt = 0; attempt < config.fleet().maxAttempts(); attempt++) {
            Optional<AffinityRouter.Lease> lease = router.acquire(key, excluded, w -> resident(w, target, adapter));
            if (lease.isEmpty()) {
                break;
            }
            if (attempt > 0) {
                retries.increment();
            }
            routed.get(placement(key, lease.get().worker(), target, adapter)).increment();
            Span span = tracer.spanBuilder("maas.fleet.generate").setParent(parent).setSpanKind(SpanKind.CLIENT)
                    .setAttribute("maas.fleet.worker", lease.get().worker()).setAttribute("maas.fleet.attempt", attempt)
                    .setAttribute("maas.model", key).startSpan();
            try (AffinityRouter.Lease held = lease.get(); Scope ignored = span.makeCurrent()) {
                return call(held.worker(), work, target, request, listener, parent.with(span));
            } catch (RetryableFailure e) {
                span.setStatus(StatusCode.ERROR, e.getMessage());
                last = e;
                excluded.add(lease.get().worker());
                if (e.workerDown) {
                    markDown(lease.get().worker());
                }
                LOG.debugf("request %s: worker %s failed before anything reached the client (%s); trying another",
                        requestId,
                        lease.get().worker(), e.getMessage());
            } catch (RuntimeException e) {
                span.setStatus(StatusCode.ERROR, e.getMessage());
                throw e;
            } finally {
                span.end();
            }
        }
        if (last != null && last.refusal != null) {
            throw last.refusal; // e.g. every worker is overloaded: the same 503 the local engine gives
        }
        throw new OpenAiException(503, OpenAiException.SERVER, "No worker is available for this model; please retry shortly.",
                null, "no_worker_available", Map.of("Retry-After", "2"));
    }

    /** The embedding models some live worker reported, sorted. */
    public List<String> embeddingModels() {
        return statuses.values().stream().filter(s -> s.embeddingModels() != null)
                .flatMap(s -> s.embeddingModels().stream()).distinct().sorted().toList();
    }

    /**
     * Embeds {@code inputs} on a live worker that reported {@code model}, placed on the ring by the model (so one
     * worker keeps it warm while under its bound). Nothing is streamed, so any failure before the answer moves the
     * call to another worker, up to {@code maas.fleet.max-attempts}; a worker's 4xx refusal is the request's.
     */
    public List<FleetWire.Vector> embed(String model, List<String> inputs, String requestId, TraceContext trace) {
        String key = "embeddings:" + model;
        byte[] work = FleetWire.write(new FleetWire.EmbedWork(requestId, model, inputs));
        Set<String> excluded = new HashSet<>();
        statuses.forEach((worker, status) -> {
            if (status.embeddingModels() == null || !status.embeddingModels().contains(model)) {
                excluded.add(worker);
            }
        });
        Context parent = parentContext(trace);
        RetryableFailure last = null;
        for (int attempt = 0; attempt < config.fleet().maxAttempts(); attempt++) {
            Optional<AffinityRouter.Lease> lease = router.acquire(key, excluded, w -> false);
            if (lease.isEmpty()) {
                break;
            }
            String worker = lease.get().worker();
            if (attempt > 0) {
                retries.increment();
            }
            routed.get(router.home(key).map(worker::equals).orElse(false) ? Placement.HOME : Placement.SPILL)
                    .increment();
            Span span = tracer.spanBuilder("maas.fleet.embed").setParent(parent).setSpanKind(SpanKind.CLIENT)
                    .setAttribute("maas.fleet.worker", worker).setAttribute("maas.fleet.attempt", attempt)
                    .setAttribute("maas.model", model).startSpan();
            try (AffinityRouter.Lease held = lease.get(); Scope ignored = span.makeCurrent()) {
                return callEmbed(worker, work, inputs.size(), parent.with(span));
            } catch (RetryableFailure e) {
                span.setStatus(StatusCode.ERROR, e.getMessage());
                last = e;
                excluded.add(worker);
                if (e.workerDown) {
                    markDown(worker);
                }
                LOG.debugf("request %s: worker %s failed embeddings (%s); trying another", requestId, worker,
                        e.getMessage());
            } catch (RuntimeException e) {
                span.setStatus(StatusCode.ERROR, e.getMessage());
                throw e;
            } finally {
                span.end();
            }
        }
        if (last != null && last.refusal != null) {
            throw last.refusal;
        }
        throw new OpenAiException(503, OpenAiException.SERVER, "No worker is available for this model; please retry shortly.",
                null, "no_worker_available", Map.of("Retry-After", "2"));
    }

    private List<FleetWire.Vector> callEmbed(String worker, byte[] work, int inputs, Context context) {
        HttpResponse<byte[]> response = post(worker, FleetWire.EMBEDDINGS_PATH, work, context,
                HttpResponse.BodyHandlers.ofByteArray());
        int status = response.statusCode();
        if (status == 200) {
            try {
                List<FleetWire.Vector> data = FleetWire.JSON.readValue(response.body(), FleetWire.Embedded.class).data();
                if (data != null && data.size() == inputs) {
                    return data;
                }
            } catch (IOException e) {
                // answered as a broken worker does: try another
            }
            throw new RetryableFailure("malformed embeddings answer", true, null);
        }
        OpenAiException refusal = refusalOf(response.body(), status);
        if (status == 503) {
            throw new RetryableFailure(refusal.code(), false, refusal); // draining or overloaded: another may take it
        }
        if (status >= 500 || status == 401 || status == 404) {
            // 404: it no longer serves the model; 401: misconfigured secret; 5xx: broken. Another may do.
            throw new RetryableFailure("status " + status, status != 404, null);
        }
        throw refusal; // the inputs themselves were refused: the same on every worker
    }

    /** The worker's OpenAI error object as the gateway's own refusal (its status, type, code and message). */
    private static OpenAiException refusalOf(byte[] body, int status) {
        String message = "The worker refused the request (" + status + ").";
        String type = status >= 500 ? OpenAiException.SERVER : OpenAiException.INVALID_REQUEST;
        String code = null;
        String param = null;
        try {
            com.fasterxml.jackson.databind.JsonNode error = FleetWire.JSON.readTree(body).path("error");
            message = error.path("message").asText(message);
            type = error.path("type").asText(type);
            code = error.path("code").isTextual() ? error.path("code").asText() : null;
            param = error.path("param").isTextual() ? error.path("param").asText() : null;
        } catch (IOException e) {
            // not an error object: keep the generic message
        }
        return new OpenAiException(status, type, message, param, code,
                status == 503 ? Map.of("Retry-After", "2") : Map.of());
    }

    /** Whether {@code worker} last reported the adapter (or, without one, the base model) loaded. */
    private boolean resident(String worker, GenerationService.Target target, String adapter) {
        FleetWire.Status status = statuses.get(worker);
        if (status == null || adapter == null) {
            return false; // every candidate serves the base: the ring alone decides
        }
        List<String> adapters = status.adapters() == null ? null : status.adapters().get(target.baseModel());
        return adapters != null && adapters.contains(adapter);
    }

    private Placement placement(String key, String worker, GenerationService.Target target, String adapter) {
        if (router.home(key).map(worker::equals).orElse(false)) {
            return Placement.HOME;
        }
        return resident(worker, target, adapter) ? Placement.RESIDENT : Placement.SPILL;
    }

    /**
     * The parent of the worker calls: the current span when it belongs to the request's trace (the server span of
     * the gateway request), else the request's trace context as a remote parent, else whatever is current.
     */
    private static Context parentContext(TraceContext trace) {
        Context current = Context.current();
        if (trace == null) {
            return current;
        }
        SpanContext active = Span.fromContext(current).getSpanContext();
        if (active.isValid() && active.getTraceId().equals(trace.traceId())) {
            return current;
        }
        String[] parts = trace.traceparent().split("-");
        SpanContext remote = SpanContext.createFromRemoteParent(parts[1], parts[2],
                TraceFlags.fromHex(parts[3], 0), TraceState.getDefault());
        return remote.isValid() ? Context.root().with(Span.wrap(remote)) : current;
    }

    /** POSTs work to a worker's internal API; a connection failure is retryable elsewhere. */
    private <T> HttpResponse<T> post(String worker, String path, byte[] work, Context context,
            HttpResponse.BodyHandler<T> handler) {
        try {
            HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(worker + path))
                    .header(FleetWire.TOKEN_HEADER, token()).header("Content-Type", "application/json");
            // W3C trace context on the hop: the worker's server span becomes a child of this call's span.
            W3CTraceContextPropagator.getInstance().inject(context, builder, HttpRequest.Builder::header);
            return http.send(builder.POST(HttpRequest.BodyPublishers.ofByteArray(work)).build(), handler);
        } catch (IOException e) {
            throw new RetryableFailure("connection: " + e, true, null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InferenceException("interrupted while calling worker " + worker, e);
        }
    }

    private GenerationResult call(String worker, byte[] work, GenerationService.Target target,
            GenerationRequest request, GenerationListener listener, Context context) {
        HttpResponse<InputStream> response = post(worker, FleetWire.GENERATE_PATH, work, context,
                HttpResponse.BodyHandlers.ofInputStream());
        if (response.statusCode() != 200) {
            closeQuietly(response.body());
            // 404: it does not serve this model (yet); 401: misconfigured secret; 5xx: broken. Another may do.
            throw new RetryableFailure("status " + response.statusCode(), response.statusCode() >= 500
                    || response.statusCode() == 401, null);
        }
        StringBuilder text = new StringBuilder();
        List<TokenLogprob> logprobs = new ArrayList<>();
        int deltas = 0;
        // Whether the client may have seen part of this attempt: only then can it not be restarted elsewhere. A
        // whole response relays nothing before its result (EngineSchedulers knows NONE the same way).
        boolean relays = listener != GenerationListener.NONE;
        boolean relayed = false;
        try (InputStream body = response.body();
                BufferedReader reader = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
            String raw;
            while ((raw = reader.readLine()) != null) {
                if (raw.isBlank()) {
                    continue;
                }
                FleetWire.Line line = FleetWire.JSON.readValue(raw, FleetWire.Line.class);
                if (line.error() != null) {
                    FleetWire.Failure f = line.error();
                    OpenAiException refusal = new OpenAiException(f.status(), f.type(), f.message(), null, f.code(),
                            f.status() == 503 ? Map.of("Retry-After", "2") : Map.of());
                    if (!relayed && f.status() == 503) {
                        throw new RetryableFailure(f.code(), false, refusal);
                    }
                    if (f.status() >= 500) {
                        throw new InferenceException("worker " + worker + " failed: " + f.message());
                    }
                    throw refusal;
                }
                if (line.finishReason() != null) {
                    return new GenerationResult(text.toString(), line.promptTokens(), line.completionTokens(),
                            finishReason(line.finishReason()), logprobs, line.ttftMs() == null ? -1 : line.ttftMs());
                }
                String delta = line.text() == null ? "" : line.text();
                List<TokenLogprob> lp = line.logprobs() == null ? List.of() : line.logprobs();
                if (delta.isEmpty() && lp.isEmpty()) {
                    continue; // carries nothing (the engine never sends one): not relayed, so still restartable
                }
                deltas++;
                text.append(delta);
                logprobs.addAll(lp);
                relayed = relays;
                listener.onDelta(delta, lp);
                if (listener.isCancelled()) {
                    // Closing the stream drops the connection: the worker cancels at its next step. Tokens it made
                    // after the last delta read never reached the client and are not counted (ADR 0014).
                    return new GenerationResult(text.toString(), target.engine().countTokens(request.prompt()),
                            deltas, FinishReason.CANCELLED, logprobs, -1);
                }
            }
        } catch (IOException e) {
            if (!relayed) {
                // Nothing reached the client: what the worker made is dropped and another starts from scratch.
                throw new RetryableFailure("stream after " + deltas + " deltas: " + e, true, null);
            }
            throw new InferenceException("worker " + worker + " was lost mid-stream", e);
        }
        if (!relayed) {
            throw new RetryableFailure("stream ended unfinished after " + deltas + " deltas", true, null);
        }
        throw new InferenceException("worker " + worker + " ended the stream without finishing");
    }

    private static FinishReason finishReason(String wire) {
        for (FinishReason r : FinishReason.values()) {
            if (r.wireName().equals(wire)) {
                return r;
            }
        }
        throw new InferenceException("unknown finish reason from a worker: " + wire);
    }

    private String token() {
        return config.fleet().internalToken().orElse("");
    }

    private static void closeQuietly(InputStream in) {
        try {
            in.close();
        } catch (IOException ignored) {
            // nothing to release beyond the connection
        }
    }

    /** A call that failed before any of it reached the client: another worker may take the request. */
    private static final class RetryableFailure extends RuntimeException {
        final boolean workerDown;
        final OpenAiException refusal;

        RetryableFailure(String message, boolean workerDown, OpenAiException refusal) {
            super(message, null, false, false);
            this.workerDown = workerDown;
            this.refusal = refusal;
        }
    }
}
