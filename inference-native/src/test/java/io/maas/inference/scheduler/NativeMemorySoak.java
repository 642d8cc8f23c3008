package io.maas.inference.scheduler;

import io.maas.inference.engine.GenerationListener;
import io.maas.inference.engine.GenerationRequest;
import io.maas.inference.engine.GenerationResult;
import io.maas.inference.engine.LlamaEngine;
import io.maas.inference.model.ModelGenerator;
import io.maas.inference.model.ModelShape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Opt-in soak ({@code -Dinference.soak=true}, not part of {@code ./maas test}): 5,000 sequential and then 1,000
 * concurrent short requests through the scheduler, half of them on adapters and every tenth cancelled, with the
 * process RSS sampled; fails if RSS after the runs exceeds the warmed-up baseline by more than the tolerance.
 */
@EnabledIfSystemProperty(named = "inference.soak", matches = "true")
class NativeMemorySoak {

    /** Allowed RSS growth over the warmed-up baseline (allocator caches, JIT, heap growth; not per-request leaks). */
    private static final long TOLERANCE_BYTES = 64L << 20;
    private static final int SEQUENTIAL = Integer.getInteger("inference.soak.sequential", 5000);
    private static final int CONCURRENT = Integer.getInteger("inference.soak.concurrent", 1000);
    private static final int WARM_UP = Integer.getInteger("inference.soak.warmup", 300);

    @TempDir
    Path root;

    @Test
    void rssStaysFlat() throws Exception {
        Path model = root.resolve("tiny-llama");
        ModelGenerator.write(model, ModelShape.TINY, 42);
        Path adapter = root.resolve("lora");
        ModelGenerator.writeAdapter(adapter, ModelShape.TINY, "tiny-llama", 16, 32,
                new HashSet<>(ModelGenerator.ADAPTER_MODULES), 7, false);
        try (LlamaEngine engine = LlamaEngine.load(model);
             BatchScheduler scheduler = new BatchScheduler(engine, new SchedulerConfig(16, 1 << 20, CONCURRENT))) {
            engine.loadAdapter("a", adapter);
            for (int i = 0; i < WARM_UP; i++) { // warm-up: allocator pools, JIT, PyTorch thread team
                scheduler.generate(request(i), listener(i));
            }
            System.gc();
            long baseline = rss();
            long peak = baseline;
            System.out.printf("baseline RSS after warm-up: %d MB%n", baseline >> 20);
            long t0 = System.nanoTime();
            for (int i = 0; i < SEQUENTIAL; i++) {
                scheduler.generate(request(i), listener(i));
                if ((i + 1) % Math.max(1, SEQUENTIAL / 5) == 0) {
                    long r = rss();
                    peak = Math.max(peak, r);
                    System.out.printf("sequential %5d: RSS %d MB%n", i + 1, r >> 20);
                }
            }
            System.out.printf("%d sequential requests in %.1f s%n", SEQUENTIAL, (System.nanoTime() - t0) / 1e9);
            t0 = System.nanoTime();
            List<CompletableFuture<GenerationResult>> futures = new ArrayList<>();
            for (int i = 0; i < CONCURRENT; i++) {
                futures.add(scheduler.submit(request(i), listener(i)));
            }
            for (CompletableFuture<GenerationResult> f : futures) {
                f.get();
            }
            long r = rss();
            peak = Math.max(peak, r);
            System.out.printf("%d concurrent requests in %.1f s: RSS %d MB%n", CONCURRENT,
                    (System.nanoTime() - t0) / 1e9, r >> 20);
            System.gc();
            long end = rss();
            System.out.printf("RSS baseline %d MB, peak %d MB, end %d MB: growth %+d MB (tolerance %d MB)%n",
                    baseline >> 20, peak >> 20, end >> 20, (end - baseline) >> 20, TOLERANCE_BYTES >> 20);
            assertTrue(end - baseline <= TOLERANCE_BYTES, "RSS grew by " + ((end - baseline) >> 20) + " MB");
        }
    }

    private static GenerationRequest request(int i) {
        return GenerationRequest.builder().setPrompt("Request number " + i + " says hello to").setMaxTokens(6)
                .optTemperature(0.7).optSeed(i).optAdapter(i % 2 == 0 ? "a" : null).build();
    }

    /** Every tenth request is cancelled after its first delta (the client went away). */
    private static GenerationListener listener(int i) {
        if (i % 10 != 0) {
            return GenerationListener.NONE;
        }
        return new GenerationListener() {
            private boolean seen;

            @Override
            public void onDelta(String text, List<io.maas.inference.engine.TokenLogprob> logprobs) {
                seen = true;
            }

            @Override
            public boolean isCancelled() {
                return seen;
            }
        };
    }

    private static long rss() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }
}
