package io.maas.gateway.inference;

import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.maas.app.config.MaasConfig;
import io.maas.gateway.api.OpenAiException;

/**
 * Runs generations on a fixed set of engine threads with a bounded queue. A fixed set matters: PyTorch's
 * OpenMP keeps a thread team per calling thread, so feeding it from the HTTP worker pool's rotating threads
 * costs a team start-up on many requests (measured: ~10× the latency of a 1-token completion). A full queue
 * is refused at once with 503 and Retry-After.
 */
@ApplicationScoped
public class GenerationExecutor {
    private final ThreadPoolExecutor executor;

    @Inject
    public GenerationExecutor(MaasConfig config) {
        int threads = config.inference().maxConcurrent();
        AtomicInteger n = new AtomicInteger();
        this.executor = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(config.inference().maxQueued()), r -> {
                    Thread t = new Thread(r, "maas-engine-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
    }

    /** Runs the work on an engine thread and waits for it; its exceptions are rethrown as they are. */
    public <T> T call(Callable<T> work) {
        Future<T> future;
        try {
            future = executor.submit(work);
        } catch (RejectedExecutionException e) {
            throw overloaded();
        }
        try {
            return future.get();
        } catch (InterruptedException e) {
            future.cancel(true);
            Thread.currentThread().interrupt();
            throw new OpenAiException(503, OpenAiException.SERVER, "The request was interrupted.", null,
                    "engine_overloaded");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (cause instanceof Error error) {
                throw error;
            }
            throw new IllegalStateException(cause);
        }
    }

    /** The answer to a request refused because the engine's queue is full: 503 engine_overloaded, Retry-After. */
    public static OpenAiException overloaded() {
        return new OpenAiException(503, OpenAiException.SERVER,
                "The engine is currently overloaded, please try again later.", null, "engine_overloaded",
                Map.of("Retry-After", "1"));
    }

    /** Requests waiting for an engine thread (a metric). */
    public int queued() {
        return executor.getQueue().size();
    }

    /** Requests running on an engine thread now (a metric). */
    public int active() {
        return executor.getActiveCount();
    }

    @PreDestroy
    void stop() {
        executor.shutdown();
        try {
            executor.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
