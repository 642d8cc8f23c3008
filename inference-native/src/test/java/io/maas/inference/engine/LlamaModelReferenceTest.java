package io.maas.inference.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.maas.inference.model.ModelGenerator;
import io.maas.inference.model.ModelShape;
import io.maas.inference.model.RopeScaling;
import io.maas.inference.model.TensorDType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The DJL forward pass against the plain-Java reference: every prefill position and twenty decode steps. */
class LlamaModelReferenceTest {

    private static final double TOLERANCE = 1e-4;
    private static final int DECODE_STEPS = 20;
    private static final String PROMPT = "The library opened at nine o'clock, and the students came in.";

    @TempDir
    Path dir;

    @Test
    void tiedGqaModelMatchesReference() throws Exception {
        assertMatchesReference(ModelShape.TINY, TensorDType.F32, 7);
    }

    @Test
    void untiedModelWithOwnLmHeadMatchesReference() throws Exception {
        ModelShape untied = new ModelShape("tiny-untied", 48, 3, 6, 3, 96, 400, false, 256, 500000.0, 1e-6);
        assertMatchesReference(untied, TensorDType.F32, 11);
    }

    @Test
    void multiHeadAttentionWithoutGroupingMatchesReference() throws Exception {
        ModelShape mha = new ModelShape("tiny-mha", 32, 2, 2, 2, 64, 300, true, 128, 10000.0, 1e-5);
        assertMatchesReference(mha, TensorDType.F32, 3);
    }

    @Test
    void qwen2WithQkvBiasesMatchesReference() throws Exception {
        assertMatchesReference(ModelShape.TINY.asQwen2("tiny-qwen2"), TensorDType.F32, 17);
        ModelShape untied = new ModelShape("tiny-qwen2-untied", 48, 3, 6, 3, 96, 400, false, 256, 1000000.0, 1e-6,
                "qwen2", null);
        assertMatchesReference(untied, TensorDType.F32, 19);
    }

    @Test
    void linearRopeScalingMatchesReference() throws Exception {
        assertMatchesReference(ModelShape.TINY.withRopeScaling("tiny-linear", RopeScaling.linear(4.0)),
                TensorDType.F32, 23);
    }

    @Test
    void llama3RopeScalingMatchesReference() throws Exception {
        // original 64 positions with factors 1 and 4: head_dim 16 at theta 10000 has wavelengths from 6 to ~19,000,
        // so the kept, the interpolated and the slowed bands are all present.
        ModelShape shape = ModelShape.TINY.withRopeScaling("tiny-llama3", RopeScaling.llama3(8.0, 1.0, 4.0, 64));
        assertMatchesReference(shape, TensorDType.F32, 29);
        assertMatchesReference(shape.asQwen2("tiny-qwen2-llama3"), TensorDType.F32, 31);
    }

    @Test
    void halfPrecisionWeightsMatchReference() throws Exception {
        assertMatchesReference(ModelShape.TINY, TensorDType.F16, 5);
        assertMatchesReference(ModelShape.TINY, TensorDType.BF16, 5);
    }

    @Test
    void promptPrefilledInTwoChunksMatchesReference() throws Exception {
        Path model = dir.resolve("chunks");
        ModelGenerator.write(model, ModelShape.TINY, 13);
        ReferenceLlama reference = ReferenceLlama.load(model);
        try (LlamaEngine engine = LlamaEngine.load(model)) {
            int[] prompt = engine.tokenizer().encode(PROMPT);
            int split = prompt.length / 2;
            float[][] expected = reference.logits(prompt);
            LlamaModel llama = engine.model();
            try (NDManager request = llama.newRequestManager();
                 KvCache cache = llama.newCache(request, prompt.length)) {
                float[][] first = rows(llama.forward(request, cache, Arrays.copyOfRange(prompt, 0, split), true));
                float[][] second = rows(llama.forward(request, cache,
                        Arrays.copyOfRange(prompt, split, prompt.length), true));
                for (int p = 0; p < prompt.length; p++) {
                    float[] actual = p < split ? first[p] : second[p - split];
                    assertClose(expected[p], actual, "position " + p);
                }
            }
        }
    }

    private void assertMatchesReference(ModelShape shape, TensorDType dtype, long seed) throws Exception {
        Path model = dir.resolve(shape.name() + "-" + dtype + "-" + seed);
        ModelGenerator.write(model, shape, seed, dtype);
        ReferenceLlama reference = ReferenceLlama.load(model);
        try (LlamaEngine engine = LlamaEngine.load(model)) {
            LlamaModel llama = engine.model();
            int[] prompt = engine.tokenizer().encode(PROMPT);
            assertTrue(prompt.length > 5, "prompt should span several positions");
            int[] tokens = Arrays.copyOf(prompt, prompt.length + DECODE_STEPS);
            float[][] actual = new float[tokens.length][];
            try (NDManager request = llama.newRequestManager();
                 KvCache cache = llama.newCache(request, tokens.length)) {
                float[][] prefill;
                try (NDManager step = request.newSubManager()) {
                    prefill = rows(llama.forward(step, cache, prompt, true));
                }
                System.arraycopy(prefill, 0, actual, 0, prompt.length);
                for (int s = 0; s < DECODE_STEPS; s++) {
                    int position = prompt.length + s;
                    tokens[position] = argMax(actual[position - 1]);
                    try (NDManager step = request.newSubManager()) {
                        actual[position] = rows(llama.forward(step, cache, new int[] {tokens[position]}, false))[0];
                    }
                }
            }
            float[][] expected = reference.logits(tokens);
            double worst = 0;
            for (int p = 0; p < tokens.length; p++) {
                worst = Math.max(worst, assertClose(expected[p], actual[p], shape.name() + " " + dtype
                        + " position " + p));
            }
            System.out.printf("%s %s: %d positions, max |logit difference| %.2e%n", shape.name(), dtype,
                    tokens.length, worst);
        }
    }

    private static double assertClose(float[] expected, float[] actual, String where) {
        assertEquals(expected.length, actual.length, where);
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            assertTrue(Float.isFinite(actual[i]), where + ": logit " + i + " is " + actual[i]);
            worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
        }
        assertTrue(worst <= TOLERANCE, where + ": max |difference| " + worst + " > " + TOLERANCE);
        return worst;
    }

    private static float[][] rows(NDArray logits) {
        int t = (int) logits.getShape().get(0);
        int v = (int) logits.getShape().get(1);
        float[] flat = logits.toFloatArray();
        float[][] out = new float[t][];
        for (int i = 0; i < t; i++) {
            out[i] = Arrays.copyOfRange(flat, i * v, (i + 1) * v);
        }
        return out;
    }

    private static int argMax(float[] row) {
        int best = 0;
        for (int i = 1; i < row.length; i++) {
            if (row[i] > row[best]) {
                best = i;
            }
        }
        return best;
    }
}
