package io.maas.inference.engine;

import ai.djl.ndarray.NDManager;
import io.maas.inference.model.ModelGenerator;
import io.maas.inference.model.ModelShape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/** Opt-in ({@code -Dinference.benchmark=true}) greedy decode speed at batch 1; prints tokens/s, asserts nothing. */
// Models are kept under target/bench so the 540 MB SmolLM-135M file is written only once.
@EnabledIfSystemProperty(named = "inference.benchmark", matches = "true")
class DecodeBenchmarkTest {

    private static final Path MODELS = Path.of("target", "bench");
    private static final String PROMPT = "The meeting started at ten and ended at noon. The team discussed the plan "
            + "for the next quarter: what to build, what to improve, and what to stop doing.";

    @Test
    void tiny() throws Exception {
        run(ModelShape.TINY, 256);
    }

    @Test
    void smolLm135m() throws Exception {
        run(ModelShape.SMOLLM_135M, Integer.getInteger("inference.benchmark.tokens", 64));
    }

    private static void run(ModelShape shape, int decodeTokens) throws Exception {
        Path dir = MODELS.resolve(shape.name());
        if (!Files.exists(dir.resolve("model.safetensors"))) {
            long t0 = System.nanoTime();
            ModelGenerator.write(dir, shape, 2024);
            System.out.printf("%s: generated in %.1f s%n", shape.name(), (System.nanoTime() - t0) / 1e9);
        }
        long loadStart = System.nanoTime();
        try (LlamaEngine engine = LlamaEngine.load(dir)) {
            System.out.printf("%s: loaded in %.2f s, %d intra-op thread(s) per step (%s configured)%n",
                    shape.name(), (System.nanoTime() - loadStart) / 1e9, engine.computeThreads(),
                    System.getProperty(PyTorchSetup.THREADS_PROPERTY));
            LlamaModel model = engine.model();
            int[] prompt = engine.tokenizer().encode(PROMPT);
            for (int round = 0; round < 3; round++) {
                try (NDManager request = model.newRequestManager();
                     KvCache cache = model.newCache(request, prompt.length + decodeTokens)) {
                    long t0 = System.nanoTime();
                    int next;
                    try (NDManager step = request.newSubManager()) {
                        next = argMax(model.forward(step, cache, prompt, false).toFloatArray());
                    }
                    long t1 = System.nanoTime();
                    long[] stepNanos = new long[decodeTokens - 1];
                    for (int i = 0; i < decodeTokens - 1; i++) {
                        long s = System.nanoTime();
                        try (NDManager step = request.newSubManager()) {
                            next = argMax(model.forward(step, cache, new int[] {next}, false).toFloatArray());
                        }
                        stepNanos[i] = System.nanoTime() - s;
                    }
                    long t2 = System.nanoTime();
                    Arrays.sort(stepNanos);
                    System.out.printf("%s round %d: prefill %d tokens %.1f ms (%.0f tok/s); decode %d tokens "
                                    + "%.1f tok/s (median step %.2f ms)%n", shape.name(), round, prompt.length,
                            (t1 - t0) / 1e6, prompt.length / ((t1 - t0) / 1e9), decodeTokens - 1,
                            (decodeTokens - 1) / ((t2 - t1) / 1e9), stepNanos[stepNanos.length / 2] / 1e6);
                }
            }
            long g0 = System.nanoTime();
            GenerationResult r = engine.generate(new GenerationRequest(PROMPT, decodeTokens));
            double seconds = (System.nanoTime() - g0) / 1e9;
            System.out.printf("%s: generate() %d prompt + %d completion tokens in %.2f s (%.1f completion tok/s)%n",
                    shape.name(), r.promptTokens(), r.completionTokens(), seconds, r.completionTokens() / seconds);
            // Greedy vs sampled (temperature 1, as the scheduler bench decodes), decode rate after the first token.
            for (int round = 0; round < 3; round++) {
                StringBuilder line = new StringBuilder(shape.name() + " generate() decode tok/s after the first token:");
                for (boolean sampled : new boolean[] {false, true}) {
                    GenerationRequest.Builder b = GenerationRequest.builder().setPrompt(PROMPT).setMaxTokens(decodeTokens);
                    if (sampled) {
                        b.optTemperature(1.0).optSeed(round);
                    }
                    long s = System.nanoTime();
                    GenerationResult g = engine.generate(b.build());
                    double decode = (System.nanoTime() - s) / 1e9 - g.timeToFirstTokenMs() / 1000.0;
                    line.append(String.format(" %s %.1f (%d tokens);", sampled ? "sampled" : "greedy",
                            (g.completionTokens() - 1) / decode, g.completionTokens()));
                }
                System.out.println(line);
            }
        }
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
