package io.maas.inference.engine;

import ai.djl.ndarray.NDManager;
import io.maas.inference.lora.LoraAdapter;
import io.maas.inference.model.ModelGenerator;
import io.maas.inference.model.ModelShape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Opt-in ({@code -Dinference.benchmark=true}): one batched decode step ({@code forwardBatch} over arena slots) of the
 * SmolLM-135M shape at 1, 2, 4, 8 and 16 rows, with the projections of a few rows in each form the engine knows —
 * the row-block view (x·Wᵀ per block), W·xᵀ, and PyTorch's linear — one engine per form over the same mapped files,
 * interleaved round by round. Prints median step times; asserts nothing.
 */
@EnabledIfSystemProperty(named = "inference.benchmark", matches = "true")
class BatchStepBenchmark {

    private static final Path MODELS = Path.of("target", "bench");

    @Test
    void smolLm135m() throws Exception {
        Path dir = MODELS.resolve(ModelShape.SMOLLM_135M.name());
        if (!Files.exists(dir.resolve("model.safetensors"))) {
            ModelGenerator.write(dir, ModelShape.SMOLLM_135M, 2024);
        }
        Map<String, LlamaEngine> forms = new LinkedHashMap<>();
        forms.put("row blocks up to 8 rows", load(dir, 8, 1));
        forms.put("W·xᵀ up to 8 rows", load(dir, 1, 8));
        forms.put("linear", load(dir, 1, 1));
        try {
            int[] batches = {1, 2, 4, 8, 16};
            int rounds = Integer.getInteger("inference.benchmark.rounds", 3);
            for (int round = 0; round < rounds; round++) {
                for (Map.Entry<String, LlamaEngine> form : forms.entrySet()) {
                    StringBuilder line = new StringBuilder(String.format("round %d, %-24s ms per step:", round,
                            form.getKey()));
                    for (int b : batches) {
                        double ms = medianStep(form.getValue().model(), b);
                        line.append(String.format(" %d rows %.1f (%.1f tok/s);", b, ms, b * 1000 / ms));
                    }
                    System.out.println(line);
                }
            }
        } finally {
            for (LlamaEngine e : forms.values()) {
                e.close();
            }
        }
    }

    private static LlamaEngine load(Path dir, int blockMaxRows, int weightFirstMaxRows) throws Exception {
        System.setProperty(LlamaModel.BLOCK_MAX_ROWS_PROPERTY, Integer.toString(blockMaxRows));
        System.setProperty(LlamaModel.WEIGHT_FIRST_MAX_ROWS_PROPERTY, Integer.toString(weightFirstMaxRows));
        try {
            return LlamaEngine.load(dir);
        } finally {
            System.clearProperty(LlamaModel.BLOCK_MAX_ROWS_PROPERTY);
            System.clearProperty(LlamaModel.WEIGHT_FIRST_MAX_ROWS_PROPERTY);
        }
    }

    private static double medianStep(LlamaModel m, int b) {
        try (NDManager request = m.newRequestManager()) {
            KvCache[] caches = new KvCache[b];
            int[] ids = new int[b];
            for (int i = 0; i < b; i++) {
                caches[i] = m.newCache(request, 64);
                ids[i] = 100 + i;
            }
            double[] ms = new double[9];
            for (int s = 0; s < ms.length; s++) {
                long t0 = System.nanoTime();
                try (NDManager step = request.newSubManager()) {
                    m.forwardBatch(step, caches, ids, new LoraAdapter[b]).toFloatArray();
                }
                ms[s] = (System.nanoTime() - t0) / 1e6;
            }
            for (KvCache c : caches) {
                c.close();
            }
            Arrays.sort(ms);
            return ms[ms.length / 2];
        }
    }
}
