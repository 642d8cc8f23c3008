package io.maas.inference.engine;

import ai.djl.ndarray.NDManager;
import io.maas.inference.lora.LoraAdapter;
import io.maas.inference.model.ModelGenerator;
import io.maas.inference.model.ModelShape;
import io.maas.inference.model.SafetensorsFile;
import io.maas.inference.model.SafetensorsWriter;
import io.maas.inference.model.TensorDType;
import io.maas.inference.model.TensorInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The lean single-token layer (docs/adr/0023) against the general layer it replaces for decode steps: the same
 * logits within float rounding and the same greedy tokens, with biases, adapters (gate|up fused or not) and
 * weight files in generator, Hugging Face (sorted by name) and non-adjacent orders.
 */
class LeanDecodeTest {

    private static final double TOLERANCE = 1e-5;
    private static final int DECODE_STEPS = 24;
    private static final String PROMPT = "The library opened at nine o'clock, and the students came in.";

    @TempDir
    Path dir;

    @Test
    void leanDecodeMatchesTheGeneralLayerAndTheReference() throws Exception {
        Path model = dir.resolve("tiny");
        ModelGenerator.write(model, ModelShape.TINY, 41);
        assertLeanMatchesGeneral(model, null, ModelShape.TINY.numLayers());
    }

    @Test
    void qwen2BiasesTakeTheGeneralProjectionInsideTheLeanLayer() throws Exception {
        Path model = dir.resolve("qwen2");
        ModelGenerator.write(model, ModelShape.TINY.asQwen2("tiny-qwen2"), 43);
        assertLeanMatchesGeneral(model, null, ModelShape.TINY.numLayers());
    }

    @Test
    void adaptersOnSomeOrAllProjections() throws Exception {
        Path model = dir.resolve("tiny-llama");
        ModelGenerator.write(model, ModelShape.TINY, 47);
        // Not on gate/up: those still run fused; on all seven: gate and up run apart with their deltas.
        Path some = dir.resolve("qv-down");
        ModelGenerator.writeAdapter(some, ModelShape.TINY, "tiny-llama", 8, 16, Set.of("q_proj", "v_proj",
                "down_proj"), 3, false);
        assertLeanMatchesGeneral(model, some, ModelShape.TINY.numLayers());
        Path all = dir.resolve("all");
        ModelGenerator.writeAdapter(all, ModelShape.TINY, "tiny-llama", 8, 16,
                Set.copyOf(ModelGenerator.ADAPTER_MODULES), 5, false);
        assertLeanMatchesGeneral(model, all, ModelShape.TINY.numLayers());
    }

    @Test
    void huggingFaceOrderFusesGateUpAndOtherOrdersFallBack() throws Exception {
        Path generated = dir.resolve("generated");
        ModelGenerator.write(generated, ModelShape.TINY, 53);
        // safetensors (Rust) writes tensors sorted by name: mlp.down, mlp.gate, mlp.up, ..., self_attn.k, o, q, v.
        Path sorted = rewritten(generated, dir.resolve("hf-order"), Comparator.naturalOrder());
        assertLeanMatchesGeneral(sorted, null, ModelShape.TINY.numLayers());
        // Reversed: up before gate, not adjacent in the needed order: the lean layer runs them apart.
        Path reversed = rewritten(generated, dir.resolve("reversed"), Comparator.reverseOrder());
        assertLeanMatchesGeneral(reversed, null, 0);
    }

    private static void assertLeanMatchesGeneral(Path model, Path adapterDir, int fusedLayers) throws Exception {
        float[][] general = decode(model, adapterDir, false, -1);
        float[][] lean = decode(model, adapterDir, true, fusedLayers);
        float[][] expected = ReferenceLlama.load(model).logits(tokens(model, general));
        double worst = 0;
        for (int s = 0; s < general.length; s++) {
            assertEquals(argMax(general[s]), argMax(lean[s]), "greedy token at step " + s);
            for (int i = 0; i < general[s].length; i++) {
                worst = Math.max(worst, Math.abs(general[s][i] - lean[s][i]));
            }
        }
        assertTrue(worst <= TOLERANCE, "lean vs general: max |difference| " + worst);
        if (adapterDir == null) {
            int offset = expected.length - general.length;
            for (int s = 0; s < lean.length; s++) {
                for (int i = 0; i < lean[s].length; i++) {
                    assertTrue(Math.abs(expected[offset + s][i] - lean[s][i]) <= 1e-4, "reference, step " + s);
                }
            }
        }
        System.out.printf("%s%s: lean vs general max |logit difference| %.2e over %d decode steps%n",
                model.getFileName(), adapterDir == null ? "" : " + " + adapterDir.getFileName(), worst,
                general.length);
    }

    /** Logits of the last prompt position and of every decode step (greedy), with the lean layer on or off. */
    private static float[][] decode(Path model, Path adapterDir, boolean lean, int fusedLayers) {
        String before = System.getProperty(LlamaModel.LEAN_DECODE_PROPERTY);
        System.setProperty(LlamaModel.LEAN_DECODE_PROPERTY, Boolean.toString(lean));
        LlamaEngine engine;
        try {
            engine = LlamaEngine.load(model);
        } finally {
            if (before == null) {
                System.clearProperty(LlamaModel.LEAN_DECODE_PROPERTY);
            } else {
                System.setProperty(LlamaModel.LEAN_DECODE_PROPERTY, before);
            }
        }
        try (engine) {
            LlamaModel llama = engine.model();
            if (fusedLayers >= 0) {
                assertEquals(fusedLayers, llama.fusedGateUpLayers(), "layers with gate|up as one view");
            }
            LoraAdapter adapter = adapterDir == null ? null : engine.loadAdapter("a", adapterDir);
            int[] prompt = engine.tokenizer().encode(PROMPT);
            float[][] out = new float[DECODE_STEPS + 1][];
            try (NDManager request = llama.newRequestManager();
                 KvCache cache = llama.newCache(request, prompt.length + DECODE_STEPS)) {
                try (NDManager step = request.newSubManager()) {
                    out[0] = llama.forward(step, cache, prompt, false, adapter).toFloatArray();
                }
                for (int s = 1; s <= DECODE_STEPS; s++) {
                    try (NDManager step = request.newSubManager()) {
                        out[s] = llama.forward(step, cache, new int[] {argMax(out[s - 1])}, false, adapter)
                                .toFloatArray();
                    }
                }
            }
            return out;
        }
    }

    /** The prompt plus the greedy tokens behind {@code logits} (all but the last row's). */
    private static int[] tokens(Path model, float[][] logits) {
        int[] prompt;
        try (LlamaEngine engine = LlamaEngine.loadMetadata(model)) {
            prompt = engine.encode(PROMPT);
        }
        int[] all = Arrays.copyOf(prompt, prompt.length + logits.length - 1);
        for (int s = 0; s < logits.length - 1; s++) {
            all[prompt.length + s] = argMax(logits[s]);
        }
        return all;
    }

    /** A copy of {@code from} whose model.safetensors holds the same tensors in {@code order} of their names. */
    private static Path rewritten(Path from, Path to, Comparator<String> order) throws Exception {
        Files.createDirectories(to);
        try (var files = Files.list(from)) {
            for (Path p : files.toList()) {
                if (!p.getFileName().toString().equals("model.safetensors")) {
                    Files.copy(p, to.resolve(p.getFileName()));
                }
            }
        }
        try (SafetensorsFile source = SafetensorsFile.open(from.resolve("model.safetensors"))) {
            List<String> names = new ArrayList<>(source.tensors().keySet());
            names.sort(order);
            LinkedHashMap<String, long[]> shapes = new LinkedHashMap<>();
            for (String name : names) {
                shapes.put(name, source.tensor(name).shape());
            }
            Function<String, SafetensorsWriter.FloatSource> values = name -> {
                TensorInfo t = source.tensor(name);
                ByteBuffer bytes = source.map(t).order(ByteOrder.LITTLE_ENDIAN);
                return () -> bytes.getFloat();
            };
            SafetensorsWriter.write(to.resolve("model.safetensors"), TensorDType.F32, shapes, Map.of(),
                    values::apply);
        }
        return to;
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
