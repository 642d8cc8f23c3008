package io.maas.inference.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.maas.inference.lora.LoraAdapter;
import io.maas.inference.model.ModelGenerator;
import io.maas.inference.model.ModelShape;
import io.maas.inference.model.SafetensorsFile;
import io.maas.inference.model.SafetensorsWriter;
import io.maas.inference.model.TensorDType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The unmerged LoRA forward pass: exact with B = 0, and against the plain-Java reference with real deltas. */
class LoraForwardTest {

    private static final double TOLERANCE = 1e-4;
    private static final int DECODE_STEPS = 4;
    private static final String PROMPT = "The library opened at nine o'clock, and the students came in.";
    private static final Set<String> ALL = new HashSet<>(ModelGenerator.ADAPTER_MODULES);

    @TempDir
    static Path root;
    static Path modelDir;
    static LlamaEngine engine;
    static ReferenceLlama reference;

    @BeforeAll
    static void load() throws Exception {
        modelDir = root.resolve("tiny-llama");
        ModelGenerator.write(modelDir, ModelShape.TINY, 21);
        engine = LlamaEngine.load(modelDir);
        reference = ReferenceLlama.load(modelDir);
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    @Test
    void adapterWithZeroBGivesTheBaseLogitsExactly() throws Exception {
        Path dir = root.resolve("zero-b");
        ModelGenerator.writeAdapter(dir, ModelShape.TINY, "tiny-llama", 8, 16, ALL, 5, true);
        LoraAdapter adapter = engine.loadAdapter("zero-b", dir);
        int[] prompt = engine.tokenizer().encode(PROMPT);
        float[][] base = run(prompt, null);
        float[][] adapted = run(prompt, adapter);
        for (int p = 0; p < base.length; p++) {
            assertArrayEquals(base[p], adapted[p], "position " + p);
        }
        engine.unloadAdapter("zero-b");
    }

    @Test
    void adapterOnAllSevenProjectionsMatchesReference() throws Exception {
        Path dir = root.resolve("all-seven");
        ModelGenerator.writeAdapter(dir, ModelShape.TINY, "tiny-llama", 8, 16, ALL, 9, false);
        assertMatchesReference(dir, "all-seven");
    }

    @Test
    void rsLoraAdapterOnSomeProjectionsMatchesReference() throws Exception {
        Path dir = root.resolve("rslora-qv-down");
        ModelGenerator.writeAdapter(dir, ModelShape.TINY, "tiny-llama", 4, 8, Set.of("q_proj", "v_proj", "down_proj"),
                3, false);
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = (ObjectNode) json.readTree(dir.resolve("adapter_config.json").toFile());
        config.put("use_rslora", true);
        json.writeValue(dir.resolve("adapter_config.json").toFile(), config);
        assertMatchesReference(dir, "rslora");
    }

    @Test
    void halfPrecisionAdaptersMatchReference() throws Exception {
        for (TensorDType dtype : new TensorDType[] {TensorDType.F16, TensorDType.BF16}) {
            Path dir = root.resolve("half-" + dtype);
            ModelGenerator.writeAdapter(dir, ModelShape.TINY, "tiny-llama", 8, 16, ALL, 4, false);
            // Re-encode the same matrices in half precision; the reference reads them back independently.
            Path file = dir.resolve(LoraAdapter.WEIGHTS_FILE);
            Map<String, float[]> values = ReferenceLlama.readTensors(file);
            LinkedHashMap<String, long[]> shapes = new LinkedHashMap<>();
            try (SafetensorsFile f = SafetensorsFile.open(file)) {
                f.tensors().values().forEach(t -> shapes.put(t.name(), t.shape()));
            }
            SafetensorsWriter.write(file, dtype, shapes, Map.of("format", "pt"), name -> {
                float[] v = values.get(name);
                int[] at = {0};
                return () -> v[at[0]++];
            });
            assertMatchesReference(dir, "half-" + dtype);
        }
    }

    private void assertMatchesReference(Path dir, String id) throws Exception {
        LoraAdapter adapter = engine.loadAdapter(id, dir);
        try {
            ReferenceLlama adapted = reference.withAdapter(dir);
            int[] prompt = engine.tokenizer().encode(PROMPT);
            float[][] actual = run(prompt, adapter);
            int[] tokens = Arrays.copyOf(prompt, actual.length);
            for (int s = 0; s < DECODE_STEPS; s++) {
                tokens[prompt.length + s] = argMax(actual[prompt.length + s - 1]);
            }
            float[][] expected = adapted.logits(tokens);
            float[][] base = reference.logits(tokens);
            double worst = 0;
            double shift = 0;
            for (int p = 0; p < tokens.length; p++) {
                for (int i = 0; i < expected[p].length; i++) {
                    assertTrue(Float.isFinite(actual[p][i]), "position " + p + " logit " + i);
                    worst = Math.max(worst, Math.abs(expected[p][i] - actual[p][i]));
                    shift = Math.max(shift, Math.abs(base[p][i] - expected[p][i]));
                }
            }
            System.out.printf("LoRA %s: %d positions, max |difference| %.2e, max adapter shift %.2f%n", id,
                    tokens.length, worst, shift);
            assertTrue(worst <= TOLERANCE, id + ": max |difference| " + worst + " > " + TOLERANCE);
            assertTrue(shift > 0.05, id + ": the adapter should visibly move the logits, moved " + shift);
        } finally {
            engine.unloadAdapter(id);
        }
    }

    /** Logits of every prompt position (one prefill) followed by DECODE_STEPS greedy one-token steps. */
    private static float[][] run(int[] prompt, LoraAdapter adapter) {
        LlamaModel llama = engine.model();
        float[][] out = new float[prompt.length + DECODE_STEPS][];
        try (NDManager request = llama.newRequestManager();
             KvCache cache = llama.newCache(request, prompt.length + DECODE_STEPS)) {
            try (NDManager step = request.newSubManager()) {
                float[][] prefill = rows(llama.forward(step, cache, prompt, true, adapter));
                System.arraycopy(prefill, 0, out, 0, prompt.length);
            }
            for (int s = 0; s < DECODE_STEPS; s++) {
                int next = argMax(out[prompt.length + s - 1]);
                try (NDManager step = request.newSubManager()) {
                    out[prompt.length + s] = rows(llama.forward(step, cache, new int[] {next}, false, adapter))[0];
                }
            }
        }
        assertEquals(prompt.length + DECODE_STEPS, out.length);
        return out;
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
