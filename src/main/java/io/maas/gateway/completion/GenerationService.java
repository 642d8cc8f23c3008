package io.maas.gateway.completion;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.IntFunction;

import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import com.fasterxml.jackson.databind.JsonNode;

import io.maas.app.config.MaasConfig;
import io.maas.app.observability.RequestTimelines;
import io.maas.billing.metering.UsageData;
import io.maas.billing.metering.UsageEvent;
import io.maas.billing.metering.UsageStatus;
import io.maas.gateway.admission.RateLimiter;
import io.maas.gateway.api.OpenAiException;
import io.maas.gateway.api.SseStream;
import io.maas.gateway.auth.Caller;
import io.maas.gateway.inference.AdapterRegistry;
import io.maas.gateway.inference.EngineSchedulers;
import io.maas.gateway.inference.GenerationExecutor;
import io.maas.gateway.inference.ModelRegistry;
import io.maas.gateway.metering.TraceContext;
import io.maas.gateway.metering.UsagePublisher;
import io.maas.gateway.routing.WorkerFleet;
import io.maas.gateway.openai.Usage;
import io.maas.inference.ContextLengthExceededException;
import io.maas.inference.InferenceException;
import io.maas.inference.InvalidGenerationParameterException;
import io.maas.inference.engine.FinishReason;
import io.maas.inference.engine.GenerationListener;
import io.maas.inference.engine.GenerationRequest;
import io.maas.inference.engine.GenerationResult;
import io.maas.inference.engine.LlamaEngine;
import io.maas.inference.engine.TokenLogprob;

/**
 * What completions and chat completions share: model resolution, OpenAI parameter validation, generation in a
 * slot, and metering one usage event per request (completed, cancelled or failed) under the request's id.
 */
@ApplicationScoped
public class GenerationService {
    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(GenerationService.class);
    /** Most choices one request may ask for ({@code n}). */
    public static final int MAX_CHOICES = 8;

    @Inject
    MaasConfig config;
    @Inject
    ModelRegistry models;
    @Inject
    GenerationExecutor engineThreads;
    @Inject
    EngineSchedulers schedulers;
    @Inject
    UsagePublisher publisher;
    @Inject
    RateLimiter rateLimiter;
    @Inject
    HardLimitCheck hardLimit;
    @Inject
    AdapterRegistry adapters;
    @Inject
    RequestTimelines timelines;
    @Inject
    LocalGenerationBackend local;
    @Inject
    WorkerFleet fleet;

    private String source;

    @PostConstruct
    void init() {
        source = config.metering().source() + "/" + hostName();
    }

    /** A validated request, ready to run: its id is the usage event's id and the response's. */
    public record Job(UUID eventId, Instant created, Caller caller, Target target, GenerationRequest request,
            int[] promptTokenIds, int choices, TraceContext trace, String requestId, RateLimiter.Permit permit) {

        public LlamaEngine engine() {
            return target.engine();
        }

        /** The model as the caller named it, echoed in responses. */
        public String modelId() {
            return target.requested();
        }

        public long createdEpochSecond() {
            return created.getEpochSecond();
        }

        public String idHex() {
            return eventId.toString().replace("-", "");
        }
    }

    /** The OpenAI sampling parameters common to both endpoints, as received. */
    public record Sampling(Double temperature, Double topP, Long seed, JsonNode stop, Double presencePenalty,
            Double frequencyPenalty, boolean logprobs, int topLogprobs, Integer n) {
    }

    /** The CloudEvents source of this gateway's usage events. */
    public String eventSource() {
        return source;
    }

    /** What a request's {@code model} names: a base model, and maybe one of its adapters. */
    public record Target(String requested, String baseModel, LlamaEngine engine, AdapterRegistry.AdapterEntry adapter) {
    }

    /**
     * Resolves {@code model} = a base model id, an adapter id, or {@code base:adapter}. A model that does not exist
     * and one the caller's key may not use both answer 404, as OpenAI does.
     */
    public Target resolve(Caller caller, String model) {
        if (model == null || model.isBlank()) {
            throw OpenAiException.invalidRequest("You must provide a model parameter.", "model");
        }
        String base = model;
        String adapterId = null;
        int colon = model.indexOf(':');
        if (colon > 0) {
            base = model.substring(0, colon);
            adapterId = model.substring(colon + 1);
        } else if (models.find(model).isEmpty() && adapters.find(model).isPresent()) {
            adapterId = model;
            base = adapters.find(model).get().baseModel();
        }
        String baseId = base;
        LlamaEngine engine = models.find(baseId).orElseThrow(() -> OpenAiException.modelNotFound(model));
        AdapterRegistry.AdapterEntry adapter = null;
        if (adapterId != null) {
            adapter = adapters.find(adapterId).filter(a -> a.baseModel().equals(baseId))
                    .filter(a -> adapters.visibleTo(a, caller.tenantId()))
                    .orElseThrow(() -> OpenAiException.modelNotFound(model));
        }
        if (!caller.mayUse(model) && !caller.mayUse(adapterId != null ? adapterId : baseId)) {
            throw OpenAiException.modelNotFound(model);
        }
        return new Target(model, baseId, engine, adapter);
    }

    /** Validates everything before any work starts, so a bad request is a 4xx and never a half-sent stream. */
    public Job prepare(Caller caller, Target target, String prompt, Integer maxTokens, Sampling sampling,
            TraceContext trace, String requestId) {
        timelines.authenticated(requestId);
        LlamaEngine engine = target.engine();
        int choices = sampling.n() == null ? 1 : sampling.n();
        if (choices < 1 || choices > MAX_CHOICES) {
            throw OpenAiException.invalidValue("'n' must be between 1 and " + MAX_CHOICES + ".", "n");
        }
        int limit = config.inference().maxTokensLimit();
        // Encoded once: the count reserves tokens here, the ids go on to the engine with the job.
        int[] promptTokenIds = engine.encode(prompt);
        int promptTokens = promptTokenIds.length;
        int max;
        if (maxTokens == null) {
            max = Math.max(1, Math.min(limit, engine.maxContextTokens() - promptTokens));
        } else if (maxTokens < 1 || maxTokens > limit) {
            throw OpenAiException.invalidValue("'max_tokens' must be between 1 and " + limit + ", was " + maxTokens + ".",
                    "max_tokens");
        } else {
            max = maxTokens;
        }
        GenerationRequest.Builder builder = GenerationRequest.builder().setPrompt(prompt).setMaxTokens(max);
        if (sampling.temperature() != null) {
            builder.optTemperature(sampling.temperature());
        }
        if (sampling.topP() != null) {
            builder.optTopP(sampling.topP());
        }
        if (sampling.seed() != null) {
            builder.optSeed(sampling.seed());
        }
        builder.optStop(stopSequences(sampling.stop()));
        if (sampling.presencePenalty() != null) {
            builder.optPresencePenalty(sampling.presencePenalty());
        }
        if (sampling.frequencyPenalty() != null) {
            builder.optFrequencyPenalty(sampling.frequencyPenalty());
        }
        if (sampling.logprobs()) {
            builder.optLogprobs(true);
            if (sampling.topLogprobs() > 0) {
                builder.optTopLogprobs(sampling.topLogprobs());
            }
        }
        if (target.adapter() != null) {
            builder.optAdapter(target.adapter().id());
        }
        GenerationRequest request;
        try {
            request = builder.build();
        } catch (InvalidGenerationParameterException e) {
            throw OpenAiException.invalidValue(e.getMessage(), e.param());
        }
        hardLimit.check(caller.tenantId());
        if (!publisher.isAccepting()) {
            // Serving now would produce usage that cannot be recorded durably: refuse instead of losing revenue.
            throw new OpenAiException(503, OpenAiException.SERVER, "Usage metering is backed up; please retry shortly.",
                    null, "metering_unavailable", Map.of("Retry-After", "5"));
        }
        // Last, after everything that can refuse the request: an admitted request holds a permit until it ends.
        RateLimiter.Permit permit = rateLimiter.admit(caller, promptTokens + (long) max * choices);
        return new Job(UUID.randomUUID(), Instant.now(), caller, target, request, promptTokenIds, choices, trace,
                requestId, permit);
    }

    /**
     * Runs every choice of the job in one generation slot and meters the request once: prompt tokens once,
     * completion tokens summed over the choices. A cancelled choice ends the request as cancelled.
     */
    public List<GenerationResult> run(Job job, IntFunction<GenerationListener> listenerForChoice) {
        timelines.admitted(job.requestId());
        long startedNanos = System.nanoTime();
        List<GenerationResult> results = java.util.Collections.synchronizedList(new ArrayList<>(job.choices()));
        try {
            return runChoices(job, listenerForChoice, results, startedNanos);
        } finally {
            int used = results.isEmpty() ? 0 : results.get(0).promptTokens() + completionTokens(results);
            job.permit().settle(used);
        }
    }

    private List<GenerationResult> runChoices(Job job, IntFunction<GenerationListener> listenerForChoice,
            List<GenerationResult> results, long startedNanos) {
        try {
            if (schedulers.enabled() || fleet.enabled()) {
                // The scheduler's thread (or a worker) computes; this worker thread only waits for the result.
                generateChoices(job, listenerForChoice, results);
            } else {
                engineThreads.call(() -> {
                    generateChoices(job, listenerForChoice, results);
                    return null;
                });
            }
        } catch (OpenAiException e) {
            // engine_overloaded: this choice never ran; earlier choices (n > 1) did and are metered.
            if (!results.isEmpty()) {
                publish(job, results.get(0).promptTokens(), completionTokens(results), UsageStatus.FAILED, null, null,
                        startedNanos);
            }
            throw e;
        } catch (ContextLengthExceededException e) {
            throw e; // refused before any compute: nothing to meter
        } catch (InferenceException | IllegalStateException e) {
            int prompt = results.isEmpty() ? job.promptTokenIds().length : results.get(0).promptTokens();
            publish(job, prompt, completionTokens(results), UsageStatus.FAILED, null, null, startedNanos);
            throw e;
        }
        GenerationResult first = results.get(0);
        boolean cancelled = results.stream().anyMatch(r -> r.finishReason() == FinishReason.CANCELLED);
        publish(job, first.promptTokens(), completionTokens(results),
                cancelled ? UsageStatus.CANCELLED : UsageStatus.COMPLETED, first.finishReason().wireName(),
                first.timeToFirstTokenMs() < 0 ? null : first.timeToFirstTokenMs(), startedNanos);
        return results;
    }

    private void generateChoices(Job job, IntFunction<GenerationListener> listenerForChoice,
            List<GenerationResult> results) {
        // With the scheduler this marks the hand-over to its queue (admission follows at its next step).
        timelines.engineStarted(job.requestId());
        for (int i = 0; i < job.choices(); i++) {
            GenerationRequest request = requestForChoice(job.request(), i);
            GenerationListener listener = listenerForChoice.apply(i);
            // With a fleet configured the choice runs on a worker (the trace continues there); metering stays here.
            if (!fleet.enabled() && job.engine().metadataOnly()) {
                // Role gateway without workers: nothing here can generate (its models hold no weights).
                throw new OpenAiException(503, OpenAiException.SERVER, "No worker is available for this model;"
                        + " please retry shortly.", null, "no_worker_available", Map.of("Retry-After", "2"));
            }
            // The fleet gets the request's trace context; the worker tokenizes the prompt itself.
            GenerationResult result = fleet.enabled()
                    ? fleet.generate(job.target(), request, listener, job.requestId(), job.trace())
                    : local.generate(job.target(), request, job.promptTokenIds(), listener, job.requestId());
            results.add(result);
            if (result.finishReason() == FinishReason.CANCELLED) {
                break;
            }
        }
    }

    /**
     * Runs a streamed job: text goes out through each choice's listener as it is generated; then one finishing
     * event per choice, the usage event if asked for, and {@code [DONE]}. Any error once the stream began travels
     * as an error event followed by {@code [DONE]} (the status line is already decided): nothing may escape to the
     * HTTP layer, which would end the chunked body as if complete and then drop the connection under the client's
     * next request on it.
     */
    public void stream(Job job, SseStream sse, boolean includeUsage, IntFunction<GenerationListener> listenerForChoice,
            BiFunction<Integer, String, Object> finishEvent, Function<Usage, Object> usageEvent) {
        List<GenerationResult> results;
        try {
            results = run(job, listenerForChoice);
        } catch (OpenAiException e) {
            sse.sendError(e);
            sse.done();
            return;
        } catch (RuntimeException e) {
            // Metered already by run() (failed, with what was generated); the client gets what ErrorMappers says.
            String errorId = UUID.randomUUID().toString();
            LOG.errorf(e, "stream of request %s failed (error id %s)", job.requestId(), errorId);
            sse.sendError(new OpenAiException(500, OpenAiException.SERVER, "The server had an error while processing"
                    + " your request (error id " + errorId + ").", null, null));
            sse.done();
            return;
        }
        for (int i = 0; i < results.size(); i++) {
            sse.send(finishEvent.apply(i, results.get(i).finishReason().wireName()));
        }
        if (includeUsage) {
            sse.send(usageEvent.apply(usage(results)));
        }
        sse.done();
    }

    /** A listener that sends each delta and cancels generation once the client has gone. */
    public static GenerationListener streaming(SseStream sse, BiConsumer<String, List<TokenLogprob>> onDelta) {
        return new GenerationListener() {
            @Override
            public void onDelta(String text, List<TokenLogprob> logprobs) {
                onDelta.accept(text, logprobs);
            }

            @Override
            public boolean isCancelled() {
                return sse.clientGone();
            }
        };
    }

    /** The request's usage: the prompt once, completion tokens summed over the choices. */
    public static Usage usage(List<GenerationResult> results) {
        return Usage.of(results.get(0).promptTokens(), completionTokens(results));
    }

    /** Choice i of a seeded request uses seed + i, so n choices differ and each is reproducible. */
    private static GenerationRequest requestForChoice(GenerationRequest r, int choice) {
        if (choice == 0 || r.seed().isEmpty()) {
            return r;
        }
        return new GenerationRequest(r.prompt(), r.maxTokens(), r.temperature(), r.topP(), r.topK(),
                OptionalLong.of(r.seed().getAsLong() + choice), r.stop(), r.presencePenalty(), r.frequencyPenalty(),
                r.logprobs(), r.topLogprobs(), r.adapter());
    }

    private static int completionTokens(List<GenerationResult> results) {
        return results.stream().mapToInt(GenerationResult::completionTokens).sum();
    }

    private void publish(Job job, int promptTokens, int completionTokens, UsageStatus status, String finishReason,
            Long ttftMs, long startedNanos) {
        long durationMs = (System.nanoTime() - startedNanos) / 1_000_000;
        AdapterRegistry.AdapterEntry adapter = job.target().adapter();
        publisher.publish(UsageEvent.of(job.eventId(), source, job.created(), job.trace().traceparent(),
                job.requestId(), new UsageData(job.caller().tenantId(), job.caller().apiKeyId(), job.target().baseModel(),
                        adapter == null ? null : adapter.id(), adapter == null ? null : adapter.provider(), promptTokens,
                        completionTokens, status, finishReason, ttftMs, durationMs, job.trace().traceId())));
    }

    private static List<String> stopSequences(JsonNode stop) {
        if (stop == null || stop.isNull()) {
            return List.of();
        }
        if (stop.isTextual()) {
            return List.of(stop.textValue());
        }
        if (stop.isArray()) {
            List<String> out = new ArrayList<>();
            for (JsonNode s : stop) {
                if (!s.isTextual()) {
                    throw OpenAiException.invalidRequest("'stop' must be a string or a list of strings.", "stop");
                }
                out.add(s.textValue());
            }
            return out;
        }
        throw OpenAiException.invalidRequest("'stop' must be a string or a list of strings.", "stop");
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "unknown-host";
        }
    }
}
