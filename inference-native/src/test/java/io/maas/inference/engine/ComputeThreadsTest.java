package io.maas.inference.engine;

import ai.djl.ndarray.NDManager;
import io.maas.inference.model.ModelGenerator;
import io.maas.inference.model.ModelShape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Intra-op threads per model (docs/adr/0024): a model whose decode step reads less than the threshold runs its
 * forward passes on one thread, a larger one on all configured threads, each on the thread that runs it, without
 * changing the other model's threads or any logit.
 */
class ComputeThreadsTest {

    @TempDir
    Path dir;

    @Test
    void theThresholdPicksOneThreadOrAll() {
        assertEquals(1, LlamaModel.computeThreads(1L << 20, 16L << 20, 2));
        assertEquals(2, LlamaModel.computeThreads(16L << 20, 16L << 20, 2));
        assertEquals(4, LlamaModel.computeThreads(513L << 20, 16L << 20, 4));
        assertEquals(1, LlamaModel.computeThreads(0, 0, 1));
    }

    @Test
    void eachModelsStepsRunOnItsOwnThreadCountPerCallingThread() throws Exception {
        Path model = dir.resolve("tiny");
        ModelGenerator.write(model, ModelShape.TINY, 11);
        int configured = PyTorchSetup.intraOpThreads();
        try (LlamaEngine small = LlamaEngine.load(model);
             LlamaEngine parallel = loadWithThreshold(model, 0)) {
            assertTrue(small.model().stepBytes() < LlamaModel.DEFAULT_PARALLEL_MIN_BYTES,
                    "the tiny model reads " + small.model().stepBytes() + " bytes per step");
            assertEquals(1, small.model().computeThreads());
            assertEquals(configured, parallel.model().computeThreads());
            assumeTrue(configured > 1, "one intra-op thread configured: nothing to tell apart");

            ExecutorService a = Executors.newSingleThreadExecutor();
            ExecutorService b = Executors.newSingleThreadExecutor();
            try {
                float[] onAll = a.submit(() -> logits(parallel)).get(60, TimeUnit.SECONDS);
                assertEquals(configured, (int) a.submit(PyTorchSetup::threadsOfThisThread).get());
                float[] onOne = b.submit(() -> logits(small)).get(60, TimeUnit.SECONDS);
                assertEquals(1, (int) b.submit(PyTorchSetup::threadsOfThisThread).get());
                // The small model's setting stayed on its thread: the larger one's next step needs no new setting.
                assertEquals(configured, (int) a.submit(PyTorchSetup::threadsOfThisThread).get());
                assertArrayEquals(onAll, a.submit(() -> logits(parallel)).get(60, TimeUnit.SECONDS), 1e-5f);
                // One thread moves the same tiny model on one thread; same weights, same logits.
                assertArrayEquals(onAll, onOne, 1e-5f);
                // A thread that runs both switches with each model.
                assertArrayEquals(onOne, a.submit(() -> logits(small)).get(60, TimeUnit.SECONDS), 1e-5f);
                assertEquals(1, (int) a.submit(PyTorchSetup::threadsOfThisThread).get());
                a.submit(() -> logits(parallel)).get(60, TimeUnit.SECONDS);
                assertEquals(configured, (int) a.submit(PyTorchSetup::threadsOfThisThread).get());
            } finally {
                a.shutdownNow();
                b.shutdownNow();
            }
        }
    }

    private static LlamaEngine loadWithThreshold(Path model, long bytes) throws Exception {
        String before = System.getProperty(LlamaModel.PARALLEL_MIN_BYTES_PROPERTY);
        System.setProperty(LlamaModel.PARALLEL_MIN_BYTES_PROPERTY, Long.toString(bytes));
        try {
            return LlamaEngine.load(model);
        } finally {
            if (before == null) {
                System.clearProperty(LlamaModel.PARALLEL_MIN_BYTES_PROPERTY);
            } else {
                System.setProperty(LlamaModel.PARALLEL_MIN_BYTES_PROPERTY, before);
            }
        }
    }

    /** Prompt logits then one decode step's, concatenated. */
    private static float[] logits(LlamaEngine engine) {
        LlamaModel llama = engine.model();
        int[] prompt = engine.tokenizer().encode("Threads are a property of the model.");
        try (NDManager request = llama.newRequestManager();
             KvCache cache = llama.newCache(request, prompt.length + 1)) {
            float[] first = llama.forward(request, cache, prompt, false).toFloatArray();
            float[] second = llama.forward(request, cache, new int[] {Sampler.argmax(first, first.length)}, false)
                    .toFloatArray();
            float[] both = new float[first.length + second.length];
            System.arraycopy(first, 0, both, 0, first.length);
            System.arraycopy(second, 0, both, first.length, second.length);
            return both;
        }
    }
}
