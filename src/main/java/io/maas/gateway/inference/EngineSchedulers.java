package io.maas.gateway.inference;

import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.maas.app.config.MaasConfig;
import io.maas.inference.EngineOverloadedException;
import io.maas.inference.InferenceException;
import io.maas.inference.engine.GenerationListener;
import io.maas.inference.engine.GenerationRequest;
import io.maas.inference.engine.GenerationResult;
import io.maas.inference.engine.LlamaEngine;
import io.maas.inference.engine.TokenLogprob;
import io.maas.inference.scheduler.BatchScheduler;
import io.maas.inference.scheduler.SchedulerConfig;

/** One continuous-batching scheduler per loaded engine, created on first use; a full queue answers 503. */
@ApplicationScoped
public class EngineSchedulers {
    private final Map<LlamaEngine, BatchScheduler> schedulers = new ConcurrentHashMap<>();
    private final boolean enabled;
    private final SchedulerConfig schedulerConfig;

    @Inject
    public EngineSchedulers(MaasConfig config) {
        MaasConfig.Scheduler s = config.scheduler();
        this.enabled = s.enabled();
        this.schedulerConfig = new SchedulerConfig(s.maxBatchSize(), s.maxTokensInFlight(), s.maxQueueLength());
    }

    /** Whether generations go through the schedulers (else each runs alone on a {@link GenerationExecutor} thread). */
    public boolean enabled() {
        return enabled;
    }

    /**
     * Generates on {@code engine}'s scheduler and waits (on the calling thread, which does no compute), or directly
     * when scheduling is off. The engine's own exceptions propagate unchanged; a full queue is a 503.
     */
    public GenerationResult generate(LlamaEngine engine, GenerationRequest request, GenerationListener listener) {
        return generate(engine, request, null, listener);
    }

    /**
     * As {@link #generate(LlamaEngine, GenerationRequest, GenerationListener)}, with the prompt already encoded by
     * {@link LlamaEngine#encode} at admission (null: encoded again here).
     */
    public GenerationResult generate(LlamaEngine engine, GenerationRequest request, int[] encodedPrompt,
            GenerationListener listener) {
        if (!enabled) {
            return engine.generate(request, listener);
        }
        BatchScheduler scheduler = schedulerFor(engine);
        if (listener == GenerationListener.NONE) {
            return awaitResult(scheduler, request, encodedPrompt);
        }
        // Deltas cross to this thread, which writes them to the client: a slow client then blocks only itself,
        // never the scheduler thread and the whole batch with it.
        BlockingQueue<Delta> deltas = new LinkedBlockingQueue<>();
        AtomicBoolean abandoned = new AtomicBoolean();
        GenerationListener relay = new GenerationListener() {
            @Override
            public void onDelta(String text, List<TokenLogprob> logprobs) {
                deltas.add(new Delta(text, logprobs));
            }

            @Override
            public boolean isCancelled() {
                return abandoned.get() || listener.isCancelled();
            }
        };
        CompletableFuture<GenerationResult> future;
        try {
            future = scheduler.submit(request, encodedPrompt, relay);
        } catch (EngineOverloadedException e) {
            throw GenerationExecutor.overloaded();
        }
        future.whenComplete((r, e) -> deltas.add(Delta.END));
        RuntimeException listenerFailure = null;
        try {
            for (Delta d = deltas.take(); d != Delta.END; d = deltas.take()) {
                if (listenerFailure == null) {
                    try {
                        listener.onDelta(d.text(), d.logprobs());
                    } catch (RuntimeException e) {
                        listenerFailure = e; // as engine.generate: the listener's exception ends generation
                        abandoned.set(true);
                    }
                }
            }
            if (listenerFailure != null) {
                throw listenerFailure;
            }
            return future.get();
        } catch (InterruptedException e) {
            abandoned.set(true);
            Thread.currentThread().interrupt();
            throw new InferenceException("interrupted while waiting for generation", e);
        } catch (ExecutionException e) {
            throw BatchScheduler.rethrow(e);
        }
    }

    /** Nothing to stream: no relay queue, this thread sleeps until the result is there (one wake-up, not one per token). */
    private static GenerationResult awaitResult(BatchScheduler scheduler, GenerationRequest request, int[] encodedPrompt) {
        CompletableFuture<GenerationResult> future;
        try {
            future = scheduler.submit(request, encodedPrompt, GenerationListener.NONE);
        } catch (EngineOverloadedException e) {
            throw GenerationExecutor.overloaded();
        }
        try {
            return future.get();
        } catch (InterruptedException e) {
            future.cancel(false); // the scheduler drops it at its next step
            Thread.currentThread().interrupt();
            throw new InferenceException("interrupted while waiting for generation", e);
        } catch (ExecutionException e) {
            throw BatchScheduler.rethrow(e);
        }
    }

    /**
     * The scheduler every served request for {@code engine} goes through (created on first use): what a baseline
     * measured in-process must submit to, so that it runs the same engine path as HTTP requests.
     */
    public BatchScheduler schedulerFor(LlamaEngine engine) {
        return schedulers.computeIfAbsent(engine, e -> new BatchScheduler(e, schedulerConfig));
    }

    private record Delta(String text, List<TokenLogprob> logprobs) {
        static final Delta END = new Delta("", List.of());
    }

    /** Requests waiting for a place in a batch, over all models (a metric). */
    public int queued() {
        return schedulers.values().stream().mapToInt(BatchScheduler::queuedCount).sum();
    }

    /** Sequences in the running batches, over all models (a metric). */
    public int running() {
        return schedulers.values().stream().mapToInt(BatchScheduler::runningCount).sum();
    }

    /** Requests waiting on {@code engine}'s scheduler (0 before its first use). */
    int queued(LlamaEngine engine) {
        BatchScheduler s = schedulers.get(engine);
        return s == null ? 0 : s.queuedCount();
    }

    @PreDestroy
    void close() {
        schedulers.values().forEach(BatchScheduler::close);
        schedulers.clear();
    }
}
