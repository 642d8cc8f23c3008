package io.maas.inference.engine;

import ai.djl.ndarray.NDManager;
import io.maas.inference.lora.LoraAdapter;
import io.maas.inference.model.ModelGenerator;
import io.maas.inference.model.ModelShape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HashSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A one-sequence decode step as the engine runs it (the lean single-sequence forward over the sequence's slot of the
 * shared KV arena) against the arena's batched path with that one row: the same logits within 1e-5 and the same
 * greedy tokens, on the bare base and with an adapter on all seven projections.
 */
class OneRowDecodeTest {

    private static final double TOLERANCE = 1e-5;
    private static final int DECODE_STEPS = 24;
    private static final String PROMPT = "The library opened at nine o'clock, and the students came in.";

    @TempDir
    Path dir;

    @Test
    void leanOneRowMatchesTheBatchedArenaPathWithAndWithoutAnAdapter() throws Exception {
        Path model = dir.resolve("tiny");
        ModelGenerator.write(model, ModelShape.TINY, 47);
        Path adapterDir = dir.resolve("adapter");
        ModelGenerator.writeAdapter(adapterDir, ModelShape.TINY, "tiny", 16, 32,
                new HashSet<>(ModelGenerator.ADAPTER_MODULES), 7, false);
        try (LlamaEngine engine = LlamaEngine.load(model)) {
            LoraAdapter adapter = engine.loadAdapter("a", adapterDir);
            compare(engine, null);
            compare(engine, adapter);
        }
    }

    private static void compare(LlamaEngine engine, LoraAdapter adapter) {
        LlamaModel llama = engine.model();
        int[] prompt = engine.tokenizer().encode(PROMPT);
        double worst = 0;
        try (NDManager request = llama.newRequestManager();
             KvCache lean = llama.newCache(request, prompt.length + DECODE_STEPS);
             KvCache batched = llama.newCache(request, prompt.length + DECODE_STEPS)) {
            assertTrue(lean.arena().isShared() && batched.arena().isShared(), "both caches are arena slots");
            assertSame(lean.arena(), batched.arena());
            int next;
            try (NDManager step = request.newSubManager()) {
                float[] a = llama.forward(step, lean, prompt, false, adapter).toFloatArray();
                float[] b = llama.forward(step, batched, prompt, false, adapter).toFloatArray();
                next = argMax(a);
                assertEquals(next, argMax(b));
            }
            for (int s = 0; s < DECODE_STEPS; s++) {
                try (NDManager step = request.newSubManager()) {
                    float[] a = llama.forward(step, lean, new int[] {next}, false, adapter).toFloatArray();
                    float[] b = llama.forwardBatch(step, new KvCache[] {batched}, new int[] {next},
                            new LoraAdapter[] {adapter}).toFloatArray();
                    assertEquals(a.length, b.length);
                    for (int i = 0; i < a.length; i++) {
                        double d = Math.abs(a[i] - b[i]);
                        worst = Math.max(worst, d);
                        assertTrue(d <= TOLERANCE, "step " + s + " logit " + i + ": " + a[i] + " vs " + b[i]);
                    }
                    next = argMax(a);
                    assertEquals(next, argMax(b), "greedy token at step " + s);
                }
            }
            assertEquals(prompt.length + DECODE_STEPS, lean.lengthTokens());
            assertEquals(prompt.length + DECODE_STEPS, batched.lengthTokens());
        } finally {
            llama.releaseAdapterStack();
        }
        System.out.printf("one row%s: lean vs batched arena path max |logit difference| %.2e over %d steps%n",
                adapter == null ? "" : " + adapter", worst, DECODE_STEPS);
    }

    private static int argMax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }
}
