package io.maas.gateway.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.maas.app.config.MaasConfig;
import io.maas.gateway.api.OpenAiException;
import io.maas.inference.engine.FinishReason;
import io.maas.inference.engine.GenerationListener;
import io.maas.inference.engine.GenerationRequest;
import io.maas.inference.engine.GenerationResult;
import io.maas.inference.engine.LlamaEngine;
import io.maas.inference.engine.TokenLogprob;
import io.maas.testing.EmbeddedServicesResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

/** The gateway's schedulers on the demo model with a tiny queue: 503 engine_overloaded, deltas on the caller. */
@QuarkusTest
@QuarkusTestResource(value = EmbeddedServicesResource.class, restrictToAnnotatedClass = false)
class EngineSchedulersTest {

    @Inject
    ModelRegistry models;

    @Test
    void fullQueueIsA503AndDeltasReachTheWaitingThread() throws Exception {
        LlamaEngine engine = models.find("demo-tiny").orElseThrow();
        EngineSchedulers schedulers = new EngineSchedulers(config(1, 1));
        ExecutorService callers = Executors.newFixedThreadPool(2);
        try {
            AtomicBoolean gone = new AtomicBoolean();
            List<String> deltaThreads = Collections.synchronizedList(new ArrayList<>());
            StringBuilder streamed = new StringBuilder();
            GenerationRequest longOne = greedy("Once upon a time", 1000);
            CompletableFuture<GenerationResult> running = CompletableFuture.supplyAsync(() -> schedulers.generate(
                    engine, longOne, listener(gone, deltaThreads, streamed)), callers);
            GenerationRequest shortOne = greedy("The meeting started", 4);
            // Wait until the long request streams: it holds the only batch slot from then on.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (deltaThreads.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            CompletableFuture<GenerationResult> waiting = CompletableFuture.supplyAsync(
                    () -> schedulers.generate(engine, shortOne, GenerationListener.NONE), callers);
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (schedulers.queued(engine) < 1 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            // The queue (length 1) is full: the next request is refused at once.
            OpenAiException refused = assertThrows(OpenAiException.class,
                    () -> schedulers.generate(engine, shortOne, GenerationListener.NONE));
            assertEquals(503, refused.status());
            assertEquals("engine_overloaded", refused.code());
            assertEquals("1", refused.headers().get("Retry-After"));
            gone.set(true);
            GenerationResult cancelled = running.get(60, TimeUnit.SECONDS);
            assertEquals(FinishReason.CANCELLED, cancelled.finishReason());
            assertEquals(cancelled.text(), streamed.toString());
            assertTrue(deltaThreads.stream().allMatch(t -> !t.startsWith("maas-scheduler")),
                    "deltas are delivered on the waiting thread, not the scheduler's: " + deltaThreads);
            assertEquals(engine.generate(shortOne).text(), waiting.get(60, TimeUnit.SECONDS).text());
        } finally {
            schedulers.close();
            callers.shutdownNow();
        }
    }

    private static GenerationRequest greedy(String prompt, int maxTokens) {
        return GenerationRequest.builder().setPrompt(prompt).setMaxTokens(maxTokens).optTemperature(0).build();
    }

    private static GenerationListener listener(AtomicBoolean gone, List<String> threads, StringBuilder text) {
        return new GenerationListener() {
            @Override
            public void onDelta(String delta, List<TokenLogprob> logprobs) {
                threads.add(Thread.currentThread().getName());
                text.append(delta);
            }

            @Override
            public boolean isCancelled() {
                return gone.get();
            }
        };
    }

    /** A MaasConfig whose scheduler group has the given bounds (nothing else is read). */
    private static MaasConfig config(int maxBatchSize, int maxQueueLength) {
        MaasConfig.Scheduler scheduler = (MaasConfig.Scheduler) Proxy.newProxyInstance(
                EngineSchedulersTest.class.getClassLoader(), new Class<?>[] {MaasConfig.Scheduler.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "enabled" -> true;
                    case "maxBatchSize" -> maxBatchSize;
                    case "maxTokensInFlight" -> 1_000_000L;
                    case "maxQueueLength" -> maxQueueLength;
                    default -> throw new UnsupportedOperationException(method.getName());
                });
        return (MaasConfig) Proxy.newProxyInstance(EngineSchedulersTest.class.getClassLoader(),
                new Class<?>[] {MaasConfig.class}, (proxy, method, args) -> {
                    if (method.getName().equals("scheduler")) {
                        return scheduler;
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }
}
