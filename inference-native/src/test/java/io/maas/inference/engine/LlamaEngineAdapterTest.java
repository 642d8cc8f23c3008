package io.maas.inference.engine;

import io.maas.inference.InferenceException;
import io.maas.inference.UnknownAdapterException;
import io.maas.inference.lora.LoraAdapter;
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
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The engine's adapter registry: per-request adapters, isolation under concurrency, unload, LRU, files. */
class LlamaEngineAdapterTest {

    private static final String PROMPT = "Once upon a time, in a quiet village by the sea,";
    private static final int TOKENS = 8;
    private static final Set<String> ALL = new HashSet<>(ModelGenerator.ADAPTER_MODULES);

    @TempDir
    static Path root;
    static Path modelDir;
    static Path adapterA;
    static Path adapterB;
    static Map<String, String> modelHashes;
    static Map<String, String> adapterAHashes;
    static Map<String, String> adapterBHashes;
    static LlamaEngine engine;

    @BeforeAll
    static void load() throws Exception {
        modelDir = root.resolve("tiny-llama");
        ModelGenerator.write(modelDir, ModelShape.TINY, 42);
        adapterA = root.resolve("adapter-a");
        adapterB = root.resolve("adapter-b");
        ModelGenerator.writeAdapter(adapterA, ModelShape.TINY, "tiny-llama", 8, 16, ALL, 1, false);
        ModelGenerator.writeAdapter(adapterB, ModelShape.TINY, "tiny-llama", 4, 8,
                Set.of("q_proj", "v_proj", "gate_proj"), 2, false);
        modelHashes = LlamaEngineTest.hashes(modelDir);
        adapterAHashes = LlamaEngineTest.hashes(adapterA);
        adapterBHashes = LlamaEngineTest.hashes(adapterB);
        engine = LlamaEngine.load(modelDir, 4);
        engine.loadAdapter("a", adapterA);
        engine.loadAdapter("b", adapterB);
    }

    @AfterAll
    static void close() throws Exception {
        engine.close();
        // Inference only reads the mapped files: neither the model nor the adapters were ever written.
        assertEquals(modelHashes, LlamaEngineTest.hashes(modelDir));
        assertEquals(adapterAHashes, LlamaEngineTest.hashes(adapterA));
        assertEquals(adapterBHashes, LlamaEngineTest.hashes(adapterB));
    }

    private static GenerationRequest request(String adapter) {
        return GenerationRequest.builder().setPrompt(PROMPT).setMaxTokens(TOKENS).optTemperature(0)
                .optAdapter(adapter).optLogprobs(true).build();
    }

    @Test
    void residentAdaptersAreBoundedByBytesAndInUseOnesAreNeverEvicted() {
        long size;
        try (LlamaEngine probe = LlamaEngine.load(modelDir, 4)) {
            size = probe.loadAdapter("probe", adapterA).sizeBytes();
        }
        // rank 8 on all seven projections of two layers: (A + B) floats per projection, 4 bytes each.
        long expected = 0;
        for (long[] outIn : new long[][] {{64, 64}, {32, 64}, {32, 64}, {64, 64}, {128, 64}, {128, 64}, {64, 128}}) {
            expected += 8 * (outIn[0] + outIn[1]) * 4L * ModelShape.TINY.numLayers();
        }
        assertEquals(expected, size);
        try (LlamaEngine bounded = LlamaEngine.load(modelDir, 10, 2 * size + size / 2)) {
            bounded.loadAdapter("x1", adapterA);
            bounded.loadAdapter("x2", adapterA);
            assertEquals(2 * size, bounded.residentAdapterBytes());
            bounded.loadAdapter("x3", adapterA); // over the byte bound: the least recently used goes
            assertEquals(List.of("x2", "x3"), new ArrayList<>(bounded.adapterIds()));
            assertEquals(2 * size, bounded.residentAdapterBytes());
            Sequence usingX2 = bounded.start(request("x2"), GenerationListener.NONE);
            bounded.loadAdapter("x4", adapterA); // x2 is older but in use: x3 goes instead
            assertEquals(Set.of("x2", "x4"), bounded.adapterIds());
            Sequence usingX4 = bounded.start(request("x4"), GenerationListener.NONE);
            InferenceException full = assertThrows(InferenceException.class,
                    () -> bounded.loadAdapter("x5", adapterA));
            assertTrue(full.getMessage().contains("in use"), full.getMessage());
            usingX2.cancel();
            usingX4.cancel();
            bounded.loadAdapter("x5", adapterA);
            assertEquals(Set.of("x4", "x5"), bounded.adapterIds());
        }
        try (LlamaEngine tiny = LlamaEngine.load(modelDir, 10, size - 1)) {
            InferenceException tooBig = assertThrows(InferenceException.class, () -> tiny.loadAdapter("x", adapterA));
            assertTrue(tooBig.getMessage().contains("exceed"), tooBig.getMessage());
            assertEquals(0, tiny.residentAdapterBytes());
        }
    }

    @Test
    void describesTheAdapter() {
        LoraAdapter a = engine.adapter("a").orElseThrow();
        assertEquals(8, a.rank());
        assertEquals(2.0, a.scale());
        assertEquals(7, a.targets().size());
        assertEquals("tiny-llama", a.baseModelNameOrPath());
        assertTrue(engine.adapterIds().containsAll(Set.of("a", "b")));
        assertThrows(InferenceException.class, () -> engine.loadAdapter("a", adapterA));
    }

    @Test
    void requestsWithoutAnAdapterRunTheBareBase() {
        GenerationResult plain = engine.generate(new GenerationRequest(PROMPT, TOKENS));
        GenerationResult viaBuilder = engine.generate(request(null));
        assertEquals(plain.text(), viaBuilder.text());
        GenerationResult withA = engine.generate(request("a"));
        GenerationResult withB = engine.generate(request("b"));
        assertNotEquals(logprobs(viaBuilder), logprobs(withA), "adapter a should change the distribution");
        assertNotEquals(logprobs(viaBuilder), logprobs(withB), "adapter b should change the distribution");
        assertNotEquals(logprobs(withA), logprobs(withB));
    }

    @Test
    void unknownAdapterIsRefused() {
        UnknownAdapterException e = assertThrows(UnknownAdapterException.class,
                () -> engine.generate(request("nope")));
        assertEquals("nope", e.adapterId());
    }

    @Test
    void concurrentRequestsOnDifferentAdaptersEachGetWhatTheyGetAlone() throws Exception {
        String[] ids = {null, "a", "b"};
        List<List<Double>> alone = new ArrayList<>();
        List<String> aloneText = new ArrayList<>();
        for (String id : ids) {
            GenerationResult r = engine.generate(request(id));
            alone.add(logprobs(r));
            aloneText.add(r.text());
        }
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            List<Future<Boolean>> futures = new ArrayList<>();
            for (int thread = 0; thread < 6; thread++) {
                int offset = thread;
                futures.add(pool.submit(() -> {
                    for (int i = 0; i < 3; i++) {
                        int which = (offset + i) % ids.length;
                        GenerationResult r = engine.generate(request(ids[which]));
                        assertEquals(aloneText.get(which), r.text(), "adapter " + ids[which]);
                        assertEquals(alone.get(which), logprobs(r), "adapter " + ids[which]);
                    }
                    return true;
                }));
            }
            for (Future<Boolean> f : futures) {
                assertTrue(f.get());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void unloadWhileInUseLetsTheRequestFinishThenClosesTheAdapter() {
        int arraysBefore = engine.model().managedArrayCount();
        LoraAdapter adapter = engine.loadAdapter("transient", adapterA);
        assertTrue(engine.model().managedArrayCount() > arraysBefore);
        GenerationResult expected = engine.generate(request("transient"));
        int[] steps = new int[1];
        GenerationResult r = engine.generate(request("transient"), new GenerationListener() {
            @Override
            public void onDelta(String text, List<TokenLogprob> logprobs) {
            }

            @Override
            public boolean isCancelled() { // asked before every forward step
                if (++steps[0] == 3) { // after the prefill and one decode step; more steps follow
                    assertTrue(engine.unloadAdapter("transient"));
                    assertFalse(engine.adapterIds().contains("transient"));
                    assertFalse(adapter.isClosed(), "still used by this request");
                }
                return false;
            }
        });
        assertEquals(TOKENS, steps[0], "one step per token: the prefill, then TOKENS - 1 decode steps");
        assertEquals(expected.text(), r.text());
        assertEquals(logprobs(expected), logprobs(r));
        assertTrue(adapter.isClosed(), "closed when its last user finished");
        assertEquals(arraysBefore, engine.model().managedArrayCount(), "the adapter's arrays are freed");
        assertThrows(UnknownAdapterException.class, () -> engine.generate(request("transient")));
        assertFalse(engine.unloadAdapter("transient"));
    }

    @Test
    void leastRecentlyUsedIdleAdapterIsEvicted() {
        try (LlamaEngine small = LlamaEngine.load(modelDir, 2)) {
            LoraAdapter first = small.loadAdapter("first", adapterA);
            LoraAdapter second = small.loadAdapter("second", adapterB);
            small.generate(new GenerationRequest(PROMPT, 1, 0, 1, 0, java.util.OptionalLong.empty(), List.of(),
                    0, 0, false, 0, java.util.Optional.of("first"))); // "second" is now least recently used
            small.loadAdapter("third", adapterB);
            assertEquals(List.of("first", "third"), List.copyOf(small.adapterIds()));
            assertTrue(second.isClosed());
            assertFalse(first.isClosed());

            // An adapter in use is never evicted; with every resident adapter busy the load is refused.
            AtomicBoolean checked = new AtomicBoolean();
            GenerationListener loadWhileBusy = new GenerationListener() {
                @Override
                public void onDelta(String text, List<TokenLogprob> logprobs) {
                    if (!checked.getAndSet(true)) {
                        small.loadAdapter("fourth", adapterA); // evicts "first", the idle one
                        assertEquals(List.of("third", "fourth"), List.copyOf(small.adapterIds()));
                        InferenceException e = assertThrows(InferenceException.class,
                                () -> nested(small));
                        assertTrue(e.getMessage().contains("in use"), e.getMessage());
                    }
                }
            };
            GenerationRequest onThird = GenerationRequest.builder().setPrompt(PROMPT).setMaxTokens(4)
                    .optTemperature(0).optAdapter("third").build();
            small.generate(onThird, loadWhileBusy);
            assertTrue(checked.get());
            assertTrue(first.isClosed());
        }
    }

    /** Loads a fifth adapter while "third" is busy in the caller and "fourth" in a nested request. */
    private static void nested(LlamaEngine small) {
        GenerationRequest onFourth = GenerationRequest.builder().setPrompt(PROMPT).setMaxTokens(2)
                .optTemperature(0).optAdapter("fourth").build();
        RuntimeException[] thrown = new RuntimeException[1];
        small.generate(onFourth, new GenerationListener() {
            @Override
            public void onDelta(String text, List<TokenLogprob> logprobs) {
                if (thrown[0] == null) {
                    try {
                        small.loadAdapter("fifth", adapterA);
                        thrown[0] = new IllegalStateException("expected a refusal");
                    } catch (InferenceException e) {
                        thrown[0] = e;
                    }
                }
            }
        });
        throw thrown[0];
    }

    private static List<Double> logprobs(GenerationResult r) {
        List<Double> out = new ArrayList<>();
        for (TokenLogprob t : r.logprobs()) {
            out.add(t.logprob());
        }
        return out;
    }
}
