package io.maas.inference.scheduler;

import io.maas.inference.EngineOverloadedException;
import io.maas.inference.InferenceException;
import io.maas.inference.engine.FinishReason;
import io.maas.inference.engine.GenerationListener;
import io.maas.inference.engine.GenerationRequest;
import io.maas.inference.engine.GenerationResult;
import io.maas.inference.engine.LlamaEngine;
import io.maas.inference.engine.Sequence;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * Continuous (iteration-level) batching for one {@link LlamaEngine}: one scheduler thread runs every forward step;
 * between steps it admits waiting requests into the running batch, drops cancelled ones (freeing their KV cache and
 * request arrays), runs at most one prompt chunk of a newly admitted request, then one decode step for all running
 * sequences together, whatever adapters they use. Results stream through each request's
 * {@link GenerationListener}, called on the scheduler thread (keep it quick and non-blocking).
 */
public final class BatchScheduler implements AutoCloseable {

    // One thread drives PyTorch: its OpenMP team stays warm and steps never compete for the cores. Submitting
    // threads only tokenize and enqueue.

    private final LlamaEngine engine;
    private final SchedulerConfig config;
    private final Thread thread;
    private final Object lock = new Object();
    /** Waiting requests, oldest first; guarded by lock. */
    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    /** Admitted sequences; only the scheduler thread touches it. */
    private final List<Running> running = new ArrayList<>();
    private volatile int runningCount;
    private volatile long tokensInFlight;
    private volatile long steps;
    private boolean closed; // guarded by lock

    private record Pending(GenerationRequest request, GenerationListener listener, int[] prompt, long submitNanos,
                           CompletableFuture<GenerationResult> future) {
        long reservedTokens() {
            return (long) prompt.length + request.maxTokens();
        }
    }

    private record Running(Sequence sequence, CompletableFuture<GenerationResult> future) {
    }

    public BatchScheduler(LlamaEngine engine, SchedulerConfig config) {
        this.engine = Objects.requireNonNull(engine, "engine");
        this.config = Objects.requireNonNull(config, "config");
        this.thread = new Thread(this::loop, "maas-scheduler-" + engine.modelId());
        thread.setDaemon(true);
        thread.start();
    }

    public SchedulerConfig config() {
        return config;
    }

    /**
     * Queues a generation; the future completes with its result (finish reason {@code cancelled} when the listener
     * cancels or the future is cancelled) or with the exception that ended it. The prompt is tokenized and checked
     * against the context length here, on the caller's thread, so those errors throw at once; a full queue throws
     * {@link EngineOverloadedException} and nothing runs.
     */
    public CompletableFuture<GenerationResult> submit(GenerationRequest request, GenerationListener listener) {
        return submit(request, null, listener);
    }

    /**
     * {@link #submit(GenerationRequest, GenerationListener)} with the prompt already encoded by the engine's
     * {@link LlamaEngine#encode} (null: encode it here), so a caller that counted tokens does not tokenize twice.
     */
    public CompletableFuture<GenerationResult> submit(GenerationRequest request, int[] encodedPrompt,
            GenerationListener listener) {
        Objects.requireNonNull(listener, "listener");
        long submitNanos = System.nanoTime();
        int[] prompt = engine.promptTokens(request, encodedPrompt);
        CompletableFuture<GenerationResult> future = new CompletableFuture<>();
        synchronized (lock) {
            if (closed) {
                throw new InferenceException("scheduler for model " + engine.modelId() + " is closed");
            }
            if (queue.size() >= config.maxQueueLength() && !(queue.isEmpty() && hasRoomNow())) {
                throw new EngineOverloadedException("model " + engine.modelId() + " has " + queue.size()
                        + " requests waiting (the limit is " + config.maxQueueLength() + ")");
            }
            queue.add(new Pending(request, listener, prompt, submitNanos, future));
            lock.notifyAll();
        }
        return future;
    }

    /** {@link #submit} and wait: the result, or the generation's own exception rethrown. */
    public GenerationResult generate(GenerationRequest request, GenerationListener listener) {
        CompletableFuture<GenerationResult> future = submit(request, listener);
        try {
            return future.get();
        } catch (InterruptedException e) {
            future.cancel(false);
            Thread.currentThread().interrupt();
            throw new InferenceException("interrupted while waiting for generation", e);
        } catch (ExecutionException e) {
            throw rethrow(e);
        }
    }

    /** A generation's own exception, as thrown by the scheduler thread (wrapped only if it was checked). */
    public static RuntimeException rethrow(ExecutionException e) {
        Throwable cause = e.getCause();
        if (cause instanceof RuntimeException r) {
            return r;
        }
        if (cause instanceof Error err) {
            throw err;
        }
        return new InferenceException("generation failed", cause);
    }

    /** Sequences in the running batch. */
    public int runningCount() {
        return runningCount;
    }

    /** Requests waiting for admission. */
    public int queuedCount() {
        synchronized (lock) {
            return queue.size();
        }
    }

    /** KV positions reserved by the running batch. */
    public long tokensInFlight() {
        return tokensInFlight;
    }

    /** Decode and prefill steps run so far. */
    public long steps() {
        return steps;
    }

    /**
     * Stops the scheduler thread after its current step; waiting requests fail and running ones are cancelled
     * (their futures complete exceptionally, their memory is freed). The engine stays open.
     */
    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            lock.notifyAll();
        }
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** With an empty queue a request that the running batch can take right now is never refused. */
    private boolean hasRoomNow() {
        return runningCount < config.maxBatchSize();
    }

    private void loop() {
        while (true) {
            List<Pending> admitted;
            synchronized (lock) {
                while (!closed && queue.isEmpty() && running.isEmpty()) {
                    try {
                        lock.wait();
                    } catch (InterruptedException e) {
                        closed = true;
                    }
                }
                if (closed) {
                    break;
                }
                admitted = admit();
            }
            for (Pending p : admitted) {
                start(p);
            }
            try {
                step();
            } catch (RuntimeException | Error e) {
                // Not expected (steps catch their own failures): end the batch rather than the thread.
                for (Running r : running) {
                    r.sequence().fail(e instanceof RuntimeException re ? re : new InferenceException("step failed", e));
                }
            }
            retireFinished();
        }
        shutdown();
    }

    /** Takes waiting requests, oldest first, while the batch and the token budget have room; holds lock. */
    private List<Pending> admit() {
        List<Pending> admitted = new ArrayList<>();
        long budget = tokensInFlight;
        int slots = running.size();
        for (Iterator<Pending> it = queue.iterator(); it.hasNext() && slots < config.maxBatchSize(); ) {
            Pending p = it.next();
            if (p.future().isDone()) { // cancelled through its future while waiting
                it.remove();
                continue;
            }
            // A request larger than the whole budget still runs, alone, rather than waiting forever.
            if (budget + p.reservedTokens() > config.maxTokensInFlight() && slots > 0) {
                break; // first come, first served: later small requests do not overtake
            }
            it.remove();
            admitted.add(p);
            budget += p.reservedTokens();
            slots++;
        }
        return admitted;
    }

    private void start(Pending p) {
        if (cancelled(p.listener())) {
            p.future().complete(new GenerationResult("", p.prompt().length, 0, FinishReason.CANCELLED));
            return;
        }
        try {
            Sequence s = engine.start(p.request(), p.listener(), p.prompt(), p.submitNanos());
            running.add(new Running(s, p.future()));
            tokensInFlight += s.reservedTokens();
            runningCount = running.size();
        } catch (RuntimeException e) {
            p.future().completeExceptionally(e);
        }
    }

    private static boolean cancelled(GenerationListener listener) {
        try {
            return listener.isCancelled();
        } catch (RuntimeException e) {
            return true;
        }
    }

    /** Drops cancelled sequences, runs one prompt chunk of the oldest prefilling one, then one batched decode. */
    private void step() {
        for (Running r : running) {
            if (r.future().isCancelled() || r.sequence().cancelRequested()) {
                r.sequence().cancel();
            }
        }
        for (Running r : running) {
            if (r.sequence().prefilling()) {
                engine.prefillChunk(r.sequence());
                steps++;
                break;
            }
        }
        List<Sequence> decoding = new ArrayList<>(running.size());
        for (Running r : running) {
            if (r.sequence().decoding()) {
                decoding.add(r.sequence());
            }
        }
        if (!decoding.isEmpty()) {
            engine.decode(decoding);
            steps++;
        }
    }

    private void retireFinished() {
        List<Running> done = new ArrayList<>();
        for (Iterator<Running> it = running.iterator(); it.hasNext(); ) {
            Running r = it.next();
            if (r.sequence().finished()) {
                it.remove();
                done.add(r);
                tokensInFlight -= r.sequence().reservedTokens();
            }
        }
        if (done.isEmpty()) {
            return;
        }
        // Counts first: whoever wakes on a future sees the batch without that request.
        runningCount = running.size();
        for (Running r : done) {
            Sequence s = r.sequence();
            if (s.failure() != null) {
                r.future().completeExceptionally(s.failure());
            } else {
                r.future().complete(s.result());
            }
        }
    }

    private void shutdown() {
        InferenceException closing = new InferenceException("scheduler for model " + engine.modelId()
                + " was closed");
        for (Running r : running) {
            r.sequence().cancel();
            r.future().completeExceptionally(closing);
        }
        running.clear();
        runningCount = 0;
        tokensInFlight = 0;
        synchronized (lock) {
            for (Pending p : queue) {
                p.future().completeExceptionally(closing);
            }
            queue.clear();
        }
    }
}
