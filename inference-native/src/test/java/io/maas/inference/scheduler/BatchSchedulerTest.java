package io.maas.inference.scheduler;

import io.maas.inference.ContextLengthExceededException;
import io.maas.inference.EngineOverloadedException;
import io.maas.inference.engine.FinishReason;
import io.maas.inference.engine.GenerationListener;
import io.maas.inference.engine.GenerationRequest;
import io.maas.inference.engine.GenerationResult;
import io.maas.inference.engine.LlamaEngine;
import io.maas.inference.engine.TokenLogprob;
import io.maas.inference.model.ModelGenerator;
import io.maas.inference.model.ModelShape;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Continuous batching over a tiny generated model: mixed adapters, joining mid-flight, cancellation, overload. */
class BatchSchedulerTest {

    private static final Set<String> ALL = new HashSet<>(ModelGenerator.ADAPTER_MODULES);
    private static final int ADAPTERS = 4;
    private static final List<String> PROMPTS = List.of("Once upon a time, in a quiet village by the sea,",
            "The meeting started at ten", "A list of fruit: apples, pears,", "In the year 1900 the city",
            "She opened the door and", "Numbers: one, two, three,");

    @TempDir
    static Path root;
    static LlamaEngine engine;

    @BeforeAll
    static void load() throws Exception {
        Path model = root.resolve("tiny-llama");
        ModelGenerator.write(model, ModelShape.TINY, 42);
        engine = LlamaEngine.load(model, ADAPTERS + 1);
        for (int i = 0; i < ADAPTERS; i++) {
            Path dir = root.resolve("adapter-" + i);
            ModelGenerator.writeAdapter(dir, ModelShape.TINY, "tiny-llama", 16, 32, ALL, 100 + i, false);
            engine.loadAdapter("a" + i, dir);
        }
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    private static GenerationRequest greedy(String prompt, String adapter, int maxTokens) {
        return GenerationRequest.builder().setPrompt(prompt).setMaxTokens(maxTokens).optTemperature(0)
                .optAdapter(adapter).build();
    }

    @Test
    void mixedAdaptersInOneBatchGiveEachRequestItsSoloTokens() throws Exception {
        List<GenerationRequest> requests = new ArrayList<>();
        for (int i = 0; i < ADAPTERS; i++) {
            requests.add(greedy(PROMPTS.get(i), "a" + i, 24));
        }
        requests.add(greedy(PROMPTS.get(ADAPTERS), null, 24));
        // The same prompt on the base and on an adapter, in the same batch: the adapter must not leak into the base row.
        requests.add(greedy(PROMPTS.get(0), null, 24));
        List<GenerationResult> solo = new ArrayList<>();
        for (GenerationRequest r : requests) {
            solo.add(engine.generate(r));
        }
        assertFalse(solo.get(0).text().equals(solo.get(5).text()), "adapter a0 should change the base's text");

        try (BatchScheduler scheduler = new BatchScheduler(engine, new SchedulerConfig(16, 100_000, 16))) {
            AtomicInteger widest = new AtomicInteger();
            List<CompletableFuture<GenerationResult>> futures = new ArrayList<>();
            for (GenerationRequest r : requests) {
                futures.add(scheduler.submit(r, (text, logprobs) ->
                        widest.accumulateAndGet(scheduler.runningCount(), Math::max)));
            }
            for (int i = 0; i < requests.size(); i++) {
                GenerationResult batched = futures.get(i).get(60, TimeUnit.SECONDS);
                assertEquals(solo.get(i).text(), batched.text(), "request " + i);
                assertEquals(solo.get(i).completionTokens(), batched.completionTokens(), "request " + i);
                assertEquals(solo.get(i).finishReason(), batched.finishReason(), "request " + i);
            }
            assertEquals(requests.size(), widest.get(), "all requests should have run in one batch");
            assertEquals(0, scheduler.runningCount());
            assertEquals(0, scheduler.tokensInFlight());
        }
    }

    @Test
    void aPromptEncodedAtAdmissionRunsAsTheSameTokensWithoutASecondEncoding() throws Exception {
        GenerationRequest request = greedy(PROMPTS.get(3), null, 8);
        GenerationResult solo = engine.generate(request);
        int[] encoded = engine.encode(request.prompt());
        assertEquals(engine.countTokens(request.prompt()), encoded.length);
        assertArrayEquals(encoded, engine.promptTokens(request, encoded));
        assertSame(encoded, engine.promptTokens(request, encoded));
        try (BatchScheduler scheduler = new BatchScheduler(engine, new SchedulerConfig(4, 100_000, 4))) {
            GenerationResult viaIds = scheduler.submit(request, encoded, GenerationListener.NONE).get(60, TimeUnit.SECONDS);
            assertEquals(solo.text(), viaIds.text());
            assertEquals(solo.promptTokens(), viaIds.promptTokens());
            // The scheduler runs exactly the ids it was handed (here another prompt's): it does not encode again.
            int[] other = engine.encode(PROMPTS.get(4));
            GenerationResult otherIds = scheduler.submit(request, other, GenerationListener.NONE).get(60, TimeUnit.SECONDS);
            assertEquals(other.length, otherIds.promptTokens(), "the ids handed over are what runs");
            assertEquals(engine.generate(greedy(PROMPTS.get(4), null, 8)).text(), otherIds.text());
            // The context check still applies to ids handed over.
            int[] tooLong = new int[engine.maxContextTokens()];
            assertThrows(ContextLengthExceededException.class,
                    () -> scheduler.submit(request, tooLong, GenerationListener.NONE));
        }
    }

    @Test
    void requestJoinsARunningBatchAtTheNextStep() throws Exception {
        GenerationRequest longOne = greedy(PROMPTS.get(1), "a1", 120);
        GenerationRequest late = greedy(PROMPTS.get(2), "a2", 16);
        GenerationResult lateSolo = engine.generate(late);
        try (BatchScheduler scheduler = new BatchScheduler(engine, new SchedulerConfig(8, 100_000, 8))) {
            // The first request's stream holds the scheduler at its 5th delta until the late one is queued: a fast
            // step (or a slow test thread) cannot let the first finish before the other is submitted.
            AtomicInteger deltas = new AtomicInteger();
            CountDownLatch submitted = new CountDownLatch(1);
            CompletableFuture<GenerationResult> first = scheduler.submit(longOne, (text, logprobs) -> {
                if (deltas.incrementAndGet() == 5) {
                    try {
                        submitted.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            });
            awaitTrue(() -> deltas.get() >= 5, "the first request should be decoding");
            assertFalse(first.isDone());
            AtomicBoolean firstRunningMeanwhile = new AtomicBoolean();
            CompletableFuture<GenerationResult> lateFuture = scheduler.submit(late, (text, logprobs) -> {
                if (!first.isDone() && scheduler.runningCount() == 2) {
                    firstRunningMeanwhile.set(true);
                }
            });
            submitted.countDown();
            GenerationResult joined = lateFuture.get(60, TimeUnit.SECONDS);
            assertEquals(lateSolo.text(), joined.text());
            assertTrue(firstRunningMeanwhile.get(), "the late request should have shared steps with the first");
            assertTrue(first.get(60, TimeUnit.SECONDS).completionTokens() > 5);
        }
    }

    @Test
    void cancellationFreesTheSlotAndTheBudgetAtTheNextStep() throws Exception {
        // The budget fits exactly one of these requests: the second can only start once the first is gone.
        int reserve = engine.countTokens(PROMPTS.get(3)) + 400;
        try (BatchScheduler scheduler = new BatchScheduler(engine, new SchedulerConfig(4, reserve, 4))) {
            AtomicBoolean gone = new AtomicBoolean();
            CompletableFuture<GenerationResult> first = scheduler.submit(greedy(PROMPTS.get(3), null, 400),
                    cancellable(gone));
            awaitTrue(() -> scheduler.steps() >= 4, "the first request should be running");
            CompletableFuture<GenerationResult> second = scheduler.submit(greedy(PROMPTS.get(3), "a3", 400),
                    GenerationListener.NONE);
            // Several steps after the submit, each a chance to admit it: still queued means the budget held it back.
            long stepsAtSubmit = scheduler.steps();
            awaitTrue(() -> scheduler.steps() >= stepsAtSubmit + 3, "the first request should keep running");
            assertEquals(1, scheduler.queuedCount(), "no budget left for the second request");
            gone.set(true);
            GenerationResult cancelled = first.get(60, TimeUnit.SECONDS);
            assertEquals(FinishReason.CANCELLED, cancelled.finishReason());
            assertTrue(cancelled.completionTokens() < 400);
            awaitTrue(() -> scheduler.queuedCount() == 0, "the second request should be admitted");
            second.cancel(false); // a cancelled future also ends its sequence at the next step
            awaitTrue(() -> scheduler.runningCount() == 0 && scheduler.tokensInFlight() == 0,
                    "slot and budget should be free");
        }
    }

    @Test
    void fullQueueIsRefusedWithAnOverloadError() throws Exception {
        try (BatchScheduler scheduler = new BatchScheduler(engine, new SchedulerConfig(1, 100_000, 1))) {
            AtomicBoolean gone = new AtomicBoolean();
            CompletableFuture<GenerationResult> running = scheduler.submit(greedy(PROMPTS.get(4), null, 1000),
                    cancellable(gone));
            awaitTrue(() -> scheduler.runningCount() == 1, "first request running");
            CompletableFuture<GenerationResult> waiting = scheduler.submit(greedy(PROMPTS.get(5), null, 4),
                    GenerationListener.NONE);
            EngineOverloadedException e = assertThrows(EngineOverloadedException.class,
                    () -> scheduler.submit(greedy(PROMPTS.get(5), null, 4), GenerationListener.NONE));
            assertTrue(e.getMessage().contains("limit is 1"), e.getMessage());
            gone.set(true);
            assertEquals(FinishReason.CANCELLED, running.get(60, TimeUnit.SECONDS).finishReason());
            assertEquals(engine.generate(greedy(PROMPTS.get(5), null, 4)).text(),
                    waiting.get(60, TimeUnit.SECONDS).text());
        }
    }

    @Test
    void closingFailsWaitingAndRunningRequests() throws Exception {
        CompletableFuture<GenerationResult> running;
        try (BatchScheduler scheduler = new BatchScheduler(engine, new SchedulerConfig(1, 100_000, 4))) {
            running = scheduler.submit(greedy(PROMPTS.get(0), null, 1000), GenerationListener.NONE);
            awaitTrue(() -> scheduler.runningCount() == 1, "running");
        }
        assertTrue(running.isCompletedExceptionally());
        // The engine serves on after its scheduler is closed.
        assertTrue(engine.generate(greedy(PROMPTS.get(0), null, 2)).completionTokens() > 0);
    }

    private static GenerationListener cancellable(AtomicBoolean gone) {
        return new GenerationListener() {
            @Override
            public void onDelta(String text, List<TokenLogprob> logprobs) {
            }

            @Override
            public boolean isCancelled() {
                return gone.get();
            }
        };
    }

    private static void awaitTrue(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out: " + what);
            }
            Thread.sleep(5);
        }
    }
}
