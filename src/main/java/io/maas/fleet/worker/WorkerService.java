package io.maas.fleet.worker;

import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.maas.app.config.MaasConfig;
import io.maas.fleet.FleetWire;
import io.maas.gateway.api.OpenAiException;
import io.maas.gateway.completion.GenerationService;
import io.maas.gateway.completion.LocalGenerationBackend;
import io.maas.gateway.inference.AdapterRegistry;
import io.maas.gateway.inference.EmbeddingRegistry;
import io.maas.gateway.inference.EngineSchedulers;
import io.maas.gateway.inference.GenerationExecutor;
import io.maas.gateway.inference.ModelRegistry;
import io.maas.inference.ContextLengthExceededException;
import io.maas.inference.InvalidGenerationParameterException;
import io.maas.inference.embedding.EmbeddingModel;
import io.maas.inference.engine.GenerationListener;
import io.maas.inference.engine.GenerationRequest;
import io.maas.inference.engine.GenerationResult;
import io.maas.inference.engine.LlamaEngine;
import io.maas.inference.engine.TokenLogprob;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;

/**
 * The worker side of the fleet: generates a request the gateway already validated, admitted and will meter, and
 * streams it back line by line. No rate limits, no metering here: that is the gateway's job, once per request.
 */
@ApplicationScoped
public class WorkerService {
    private static final Logger LOG = Logger.getLogger(WorkerService.class);

    @Inject
    MaasConfig config;
    @Inject
    ModelRegistry models;
    @Inject
    AdapterRegistry adapters;
    @Inject
    EngineSchedulers schedulers;
    @Inject
    LocalGenerationBackend local;
    @Inject
    EmbeddingRegistry embeddings;
    @Inject
    GenerationExecutor engineThreads;

    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile boolean draining;

    void onStart(@Observes StartupEvent event) {
        if (config.role() == MaasConfig.Role.WORKER && config.fleet().internalToken().isEmpty()) {
            LOG.error("role worker without maas.fleet.internal-token: the internal API refuses every call (404)");
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        // New work goes elsewhere (the gateway retries a 503 before the first delta); running work finishes.
        draining = true;
    }

    /** Whether this instance serves the internal API at all: its role generates and a secret is configured. */
    public boolean serves() {
        return (config.role() == MaasConfig.Role.ALL || config.role() == MaasConfig.Role.WORKER)
                && config.fleet().internalToken().isPresent();
    }

    /**
     * Refuses the call unless the secret matches the current one or, during a rotation, the previous one: 404 when
     * the API is off, 401 for a missing or wrong secret.
     */
    public void authorize(String presented) {
        if (!serves()) {
            throw new OpenAiException(404, OpenAiException.INVALID_REQUEST, "Not found.", null, "not_found");
        }
        // Both compared every time (non-short-circuit |): the answer's timing does not tell which one matched.
        boolean current = FleetWire.tokenMatches(presented, config.fleet().internalToken().get());
        boolean previous = FleetWire.tokenMatches(presented, config.fleet().internalTokenPrevious().orElse(null));
        if (!(current | previous)) {
            throw new OpenAiException(401, OpenAiException.AUTHENTICATION, "A valid internal token is required.",
                    null, "invalid_internal_token");
        }
    }

    /** A work item resolved against this worker's models, ready to stream. */
    public record Prepared(GenerationService.Target target, GenerationRequest request, String requestId) {
    }

    /** Resolves model and adapter and rebuilds the request; 404 when this worker does not serve them. */
    public Prepared prepare(FleetWire.Work work) {
        LlamaEngine engine = models.find(work.model()).orElseThrow(() -> OpenAiException.modelNotFound(work.model()));
        AdapterRegistry.AdapterEntry adapter = null;
        if (work.adapter() != null) {
            adapter = adapters.find(work.adapter()).filter(a -> a.baseModel().equals(work.model()))
                    .orElseThrow(() -> OpenAiException.modelNotFound(work.model() + ":" + work.adapter()));
        }
        GenerationRequest request;
        try {
            request = new GenerationRequest(work.prompt(), work.maxTokens(), work.temperature(), work.topP(),
                    work.topK(), work.seed() == null ? OptionalLong.empty() : OptionalLong.of(work.seed()),
                    work.stop(), work.presencePenalty(), work.frequencyPenalty(), work.logprobs(), work.topLogprobs(),
                    java.util.Optional.ofNullable(work.adapter()));
        } catch (InvalidGenerationParameterException e) {
            throw OpenAiException.invalidValue(e.getMessage(), e.param());
        }
        return new Prepared(new GenerationService.Target(work.model(), work.model(), engine, adapter), request,
                work.requestId());
    }

    /**
     * Generates and writes one JSON line per delta, then the finish line (or an error line). A closed connection
     * (the gateway went away) cancels generation at the next step.
     */
    public void stream(Prepared prepared, OutputStream out, BooleanSupplier connectionClosed) {
        Lines lines = new Lines(out, connectionClosed);
        if (draining) {
            lines.send(FleetWire.Line.failure(503, OpenAiException.SERVER, "worker_draining",
                    "This worker is shutting down."));
            return;
        }
        inFlight.incrementAndGet();
        try {
            GenerationResult result = local.generateOnEngine(prepared.target(), prepared.request(),
                    new GenerationListener() {
                        @Override
                        public void onDelta(String text, List<TokenLogprob> logprobs) {
                            lines.send(FleetWire.Line.delta(text, logprobs));
                        }

                        @Override
                        public boolean isCancelled() {
                            return lines.gone();
                        }
                    }, prepared.requestId());
            lines.send(FleetWire.Line.finish(result.finishReason().wireName(), result.promptTokens(),
                    result.completionTokens(), result.timeToFirstTokenMs()));
        } catch (OpenAiException e) {
            lines.send(FleetWire.Line.failure(e.status(), e.type(), e.code(), e.getMessage()));
        } catch (ContextLengthExceededException e) {
            lines.send(FleetWire.Line.failure(400, OpenAiException.INVALID_REQUEST, "context_length_exceeded",
                    e.getMessage()));
        } catch (RuntimeException e) {
            // Every failure ends as a line: one escaping to the HTTP layer would end the body as if complete and then
            // drop the connection, failing the gateway's next call on it.
            LOG.warnf(e, "generation failed for request %s", prepared.requestId());
            lines.send(FleetWire.Line.failure(500, OpenAiException.SERVER, "inference_failed", e.getMessage()));
        } finally {
            inFlight.decrementAndGet();
        }
    }

    /**
     * Embeds a gateway's validated inputs on this worker's model (404 when it serves none of that id; 503
     * {@code worker_draining} once shutting down, which the gateway retries elsewhere).
     */
    public FleetWire.Embedded embed(FleetWire.EmbedWork work) {
        if (draining) {
            throw new OpenAiException(503, OpenAiException.SERVER, "This worker is shutting down.", null,
                    "worker_draining");
        }
        EmbeddingModel model = embeddings.find(work.model())
                .orElseThrow(() -> OpenAiException.modelNotFound(work.model()));
        if (work.inputs() == null || work.inputs().isEmpty()) {
            throw OpenAiException.invalidRequest("'inputs' must be a non-empty list of strings.", "input");
        }
        inFlight.incrementAndGet();
        try {
            List<EmbeddingModel.Embedding> vectors = engineThreads.call(() -> model.embed(work.inputs()));
            return new FleetWire.Embedded(vectors.stream()
                    .map(v -> new FleetWire.Vector(v.vector(), v.tokens())).toList());
        } finally {
            inFlight.decrementAndGet();
        }
    }

    /** Internal generate and embeddings calls running now. */
    public int inFlight() {
        return inFlight.get();
    }

    /** Whether this worker has begun shutting down (new calls get a 503 line). */
    public boolean draining() {
        return draining;
    }

    /** What this worker serves and how busy it is. */
    public FleetWire.Status status() {
        Map<String, List<String>> resident = new TreeMap<>();
        for (String id : models.modelIds()) {
            models.find(id).ifPresent(engine -> resident.put(id, engine.adapterIds().stream().sorted().toList()));
        }
        return new FleetWire.Status(config.role().name().toLowerCase(), models.modelIds().stream().sorted().toList(),
                resident, schedulers.queued(), schedulers.running(), inFlight.get(), draining,
                embeddings.modelIds().stream().sorted().toList());
    }

    /** Writes lines and flushes each; a failed write or a closed connection means the gateway is gone. */
    private static final class Lines {
        private final OutputStream out;
        private final BooleanSupplier connectionClosed;
        private volatile boolean gone;

        Lines(OutputStream out, BooleanSupplier connectionClosed) {
            this.out = out;
            this.connectionClosed = connectionClosed;
        }

        boolean gone() {
            if (!gone && connectionClosed.getAsBoolean()) {
                gone = true;
            }
            return gone;
        }

        void send(FleetWire.Line line) {
            if (gone()) {
                return;
            }
            try {
                byte[] json = FleetWire.write(line);
                out.write(json);
                out.write('\n');
                out.flush();
            } catch (IOException | RuntimeException e) {
                gone = true;
            }
        }
    }
}
