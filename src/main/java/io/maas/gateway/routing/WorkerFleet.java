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

/**
 * The gateway's view of the worker fleet ({@code maas.fleet.workers}): polls each worker's status, keeps the live
 * ones on an {@link AffinityRouter} ring keyed by base+adapter, and generates there. A call that fails before its
 * first delta (connection refused, worker gone, overloaded, draining) is tried on another worker; after the first
 * delta a failure is the request's failure, as it would be locally.
 */
@ApplicationScoped
public class WorkerFleet implements GenerationBackend {
    private static final Logger LOG = Logger.getLogger(WorkerFleet.class);

    @Inject
    MaasConfig config;

    private AffinityRouter router;
    private HttpClient http;
    private ScheduledExecutorService poller;
    private volatile List<String> configured = List.of();
    /** What each live worker last reported. */
    private final Map<String, FleetWire.Status> statuses = new ConcurrentHashMap<>();

    @PostConstruct
    void init() {
        router = new AffinityRouter(AffinityRouter.DEFAULT_VIRTUAL_NODES, config.fleet().loadFactorPercent());
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(config.fleet().connectTimeout()).build();
        useWorkers(config.fleet().workers().orElse(List.of()));
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
                } else {
                    statuses.remove(worker);
                    LOG.warnf("worker %s answered its status poll with %d; off the ring", worker, response.statusCode());
                }
            } catch (IOException e) {
                statuses.remove(worker);
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
            LOG.warnf("worker %s failed a call; off the ring until it answers a poll", worker);
            router.setWorkers(statuses.keySet());
        }
    }

    @Override
    public GenerationResult generate(GenerationService.Target target, GenerationRequest request,
            GenerationListener listener, String requestId) {
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
        RetryableFailure last = null;
        for (int attempt = 0; attempt < config.fleet().maxAttempts(); attempt++) {
            Optional<AffinityRouter.Lease> lease = router.acquire(key, excluded);
            if (lease.isEmpty()) {
                break;
            }
            try (AffinityRouter.Lease held = lease.get()) {
                return call(held.worker(), work, target, request, listener);
            } catch (RetryableFailure e) {
                last = e;
                excluded.add(lease.get().worker());
                if (e.workerDown) {
                    markDown(lease.get().worker());
                }
                LOG.debugf("request %s: worker %s failed before the first delta (%s); trying another", requestId,
                        lease.get().worker(), e.getMessage());
            }
        }
        if (last != null && last.refusal != null) {
            throw last.refusal; // e.g. every worker is overloaded: the same 503 the local engine gives
        }
        throw new OpenAiException(503, OpenAiException.SERVER, "No worker is available for this model; please retry shortly.",
                null, "no_worker_available", Map.of("Retry-After", "2"));
    }

    private GenerationResult call(String worker, byte[] work, GenerationService.Target target,
            GenerationRequest request, GenerationListener listener) {
        HttpResponse<InputStream> response;
        try {
            response = http.send(HttpRequest.newBuilder(URI.create(worker + FleetWire.GENERATE_PATH))
                    .header(FleetWire.TOKEN_HEADER, token()).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(work)).build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            throw new RetryableFailure("connection: " + e, true, null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InferenceException("interrupted while calling worker " + worker, e);
        }
        if (response.statusCode() != 200) {
            closeQuietly(response.body());
            // 404: it does not serve this model (yet); 401: misconfigured secret; 5xx: broken. Another may do.
            throw new RetryableFailure("status " + response.statusCode(), response.statusCode() >= 500
                    || response.statusCode() == 401, null);
        }
        StringBuilder text = new StringBuilder();
        List<TokenLogprob> logprobs = new ArrayList<>();
        int deltas = 0;
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
                    if (deltas == 0 && f.status() == 503) {
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
                deltas++;
                String delta = line.text() == null ? "" : line.text();
                List<TokenLogprob> lp = line.logprobs() == null ? List.of() : line.logprobs();
                text.append(delta);
                logprobs.addAll(lp);
                listener.onDelta(delta, lp);
                if (listener.isCancelled()) {
                    // Closing the stream drops the connection: the worker cancels at its next step. Tokens it made
                    // after the last delta read never reached the client and are not counted (ADR 0014).
                    return new GenerationResult(text.toString(), target.engine().countTokens(request.prompt()),
                            deltas, FinishReason.CANCELLED, logprobs, -1);
                }
            }
        } catch (IOException e) {
            if (deltas == 0) {
                throw new RetryableFailure("stream: " + e, true, null);
            }
            throw new InferenceException("worker " + worker + " was lost mid-stream", e);
        }
        if (deltas == 0) {
            throw new RetryableFailure("stream ended before any line", true, null);
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

    /** A call that failed before its first delta: another worker may take the request. */
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
