package io.maas.inference.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.maas.inference.model.ModelGenerator;
import io.maas.inference.model.ModelShape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Opt-in ({@code -Dinference.benchmark=true}) breakdown of a batch-1 decode step on the SmolLM-135M shape: the
 * floor (only the step's matrix-vector products), the cost of one trivial native op, arrays per step, and the
 * general layer against the lean one (docs/adr/0023) in the same JVM, interleaved. Prints, asserts nothing.
 */
class DecodeStepBenchmark {

    private static final Path MODELS = Path.of("target", "bench");
    private static final String PROMPT = "The meeting started at ten and ended at noon. The team discussed the plan "
            + "for the next quarter: what to build, what to improve, and what to stop doing.";

    @Test
    @EnabledIfSystemProperty(named = "inference.benchmark", matches = "true")
    void smolLm135mStepBreakdown() throws Exception {
        ModelShape shape = ModelShape.SMOLLM_135M;
        Path dir = MODELS.resolve(shape.name());
        if (!Files.exists(dir.resolve("model.safetensors"))) {
            ModelGenerator.write(dir, shape, 2024);
        }
        int tokens = Integer.getInteger("inference.benchmark.tokens", 48);
        int rounds = Integer.getInteger("inference.benchmark.rounds", 4);
        System.out.printf("%s, %s, load average %s%n", shape.name(), LlamaEngine.nativeThreading(), load());
        LlamaEngine plain = loadWith(dir, false);
        LlamaEngine lean = loadWith(dir, true);
        try (plain; lean) {
            int[] prompt = plain.tokenizer().encode(PROMPT);
            // Warm-up (JIT, page cache, OpenMP team) on both, then interleaved rounds.
            decode(plain.model(), prompt, 8);
            decode(lean.model(), prompt, 8);
            floor(lean.model(), 3);
            gemvForms(lean.model(), 3);
            for (int round = 0; round < rounds; round++) {
                double[] a = decode(plain.model(), prompt, tokens);
                double[] b = decode(lean.model(), prompt, tokens);
                System.out.printf("round %d (load %s): general layer median step %.2f ms (%.1f tok/s; process CPU"
                        + " %.1f ms per step), lean %.2f ms (%.1f tok/s; CPU %.1f ms): %.2fx%n", round, load(), a[0],
                        1000 / a[0], a[1], b[0], 1000 / b[0], b[1], a[0] / b[0]);
                floor(lean.model(), 1);
            }
            if (LlamaModel.COUNT_ARRAYS) {
                System.out.printf("arrays created in the layers of one decode step: general %d, lean %d (%d layers)%n",
                        arraysPerStep(plain.model(), prompt), arraysPerStep(lean.model(), prompt),
                        shape.numLayers());
            }
        }
    }

    /** Cost of each kind of op in the lean layer, at its real shapes (context 100), 1,000 times each. */
    @Test
    @EnabledIfSystemProperty(named = "inference.benchmark", matches = "true")
    void opCosts() {
        System.out.println(LlamaEngine.nativeThreading()); // applies the engine's native defaults first
        try (NDManager m = NDManager.newBaseManager(ai.djl.Device.cpu(), "PyTorch")) {
            NDArray h = m.ones(new Shape(1, 576));
            NDArray q = m.ones(new Shape(3, 3, 64));
            NDArray rot = m.ones(new Shape(64, 64));
            NDArray keysT = m.ones(new Shape(1, 3, 100, 64)).transpose(0, 1, 3, 2);
            NDArray probs = m.ones(new Shape(1, 3, 3, 100));
            NDArray values = m.ones(new Shape(1, 3, 100, 64));
            NDArray blocks = m.ones(new Shape(8, 72, 576)).transpose(0, 2, 1);
            NDArray weight = m.ones(new Shape(576, 576));
            Map<String, Runnable> ops = new LinkedHashMap<>();
            ops.put("add [1,576]", () -> h.add(h));
            ops.put("mean [1,576]", () -> h.mean(new int[] {1}, true));
            ops.put("sigmoid [1,1536]", () -> m.ones(new Shape(1, 1536)).getNDArrayInternal().sigmoid());
            ops.put("rope product [3,3,64]x[64,64]", () -> q.matMul(rot));
            ops.put("scores [3,3,64]x[1,3,64,100]", () -> q.matMul(keysT));
            ops.put("softmax [1,3,3,100]", () -> probs.softmax(3));
            ops.put("context [1,3,3,100]x[1,3,100,64]", () -> probs.matMul(values));
            ops.put("q GEMV 8 blocks (in cache)", () -> h.matMul(blocks));
            ops.put("q GEMV linear (in cache)", () -> h.getNDArrayInternal().linear(h, weight, null));
            for (int round = 0; round < 3; round++) {
                StringBuilder line = new StringBuilder("op costs (load " + load() + "), µs:");
                for (Map.Entry<String, Runnable> e : ops.entrySet()) {
                    double us = median(5, () -> {
                        try (NDManager scope = m.newSubManager()) {
                            for (NDArray a : new NDArray[] {h, q, rot, keysT, probs, values, blocks, weight}) {
                                a.tempAttach(scope);
                            }
                            for (int i = 0; i < 1000; i++) {
                                e.getValue().run();
                            }
                        }
                    });
                    line.append(String.format(" %s %.1f;", e.getKey(), us));
                }
                System.out.println(line);
            }
        }
    }

    private static LlamaEngine loadWith(Path dir, boolean lean) {
        String before = System.getProperty(LlamaModel.LEAN_DECODE_PROPERTY);
        System.setProperty(LlamaModel.LEAN_DECODE_PROPERTY, Boolean.toString(lean));
        try {
            return LlamaEngine.load(dir);
        } finally {
            if (before == null) {
                System.clearProperty(LlamaModel.LEAN_DECODE_PROPERTY);
            } else {
                System.setProperty(LlamaModel.LEAN_DECODE_PROPERTY, before);
            }
        }
    }

    /** Arrays the layers create in one decode step: (prefill + 4 steps − prefill) / 4. */
    private static long arraysPerStep(LlamaModel model, int[] prompt) {
        LlamaModel.COUNTED_ARRAYS.set(0);
        decode(model, prompt, 0);
        long prefill = LlamaModel.COUNTED_ARRAYS.getAndSet(0);
        decode(model, prompt, 4);
        return (LlamaModel.COUNTED_ARRAYS.get() - prefill) / 4;
    }

    /** Median ms of a decode step after prefilling the prompt (decode steps after the first counted). */
    private static double[] decode(LlamaModel model, int[] prompt, int steps) {
        try (NDManager request = model.newRequestManager();
             KvCache cache = model.newCache(request, prompt.length + steps + 1)) {
            int next;
            try (NDManager step = request.newSubManager()) {
                next = argMax(model.forward(step, cache, prompt, false).toFloatArray());
            }
            double[] ms = new double[steps];
            long cpu0 = cpuNanos();
            long wall0 = System.nanoTime();
            for (int i = 0; i < steps; i++) {
                long s = System.nanoTime();
                try (NDManager step = request.newSubManager()) {
                    next = argMax(model.forward(step, cache, new int[] {next}, false).toFloatArray());
                }
                ms[i] = (System.nanoTime() - s) / 1e6;
            }
            double cpuMs = (cpuNanos() - cpu0) / 1e6 / Math.max(1, steps);
            double wallMs = (System.nanoTime() - wall0) / 1e6 / Math.max(1, steps);
            Arrays.sort(ms);
            return new double[] {steps == 0 ? 0 : ms[ms.length / 2], cpuMs, wallMs};
        }
    }

    /** The floor: projections only (general and fused gate|up), and the per-op cost of trivial native ops. */
    private static void floor(LlamaModel model, int repeats) {
        for (int r = 0; r < repeats; r++) {
            double separate = median(15, () -> {
                try (NDManager scope = model.newRequestManager()) {
                    model.projectionsOnly(scope, false);
                }
            });
            double fused = median(15, () -> {
                try (NDManager scope = model.newRequestManager()) {
                    model.projectionsOnly(scope, true);
                }
            });
            double head = median(15, () -> {
                try (NDManager scope = model.newRequestManager()) {
                    model.lmHeadOnly(scope);
                }
            });
            int ops = 1000;
            double add = median(7, () -> {
                try (NDManager scope = model.newRequestManager()) {
                    NDArray x = scope.ones(new Shape(1, model.config().hiddenSize()));
                    for (int i = 0; i < ops; i++) {
                        x.add(x);
                    }
                }
            }) * 1000 / ops;
            double reshape = median(7, () -> {
                try (NDManager scope = model.newRequestManager()) {
                    NDArray x = scope.ones(new Shape(1, model.config().hiddenSize()));
                    for (int i = 0; i < ops; i++) {
                        x.reshape(model.config().hiddenSize(), 1);
                    }
                }
            }) * 1000 / ops;
            double smallGemv = median(7, () -> {
                try (NDManager scope = model.newRequestManager()) {
                    NDArray x = scope.ones(new Shape(1, 64));
                    NDArray blocks = scope.ones(new Shape(LlamaModel.GEMV_BLOCKS, 64, 8));
                    for (int i = 0; i < ops; i++) {
                        x.matMul(blocks);
                    }
                }
            }) * 1000 / ops;
            System.out.printf("floor (load %s): projections only %.2f ms/step (gate|up fused %.2f ms; LM head alone "
                    + "%.2f ms); one add "
                    + "[1,576] %.1f µs, one reshape view %.1f µs (created and freed), one [1,64]x[%d,64,8] product "
                    + "%.1f µs%n", load(), separate, fused, head, add, reshape, LlamaModel.GEMV_BLOCKS, smallGemv);
        }
    }

    /**
     * The same step's matrix-vector products in different forms over views of the same mapped weights: x·Wᵀ as
     * a batched product over n row blocks (n = 1, 2, 4, 8), PyTorch's linear, and W·xᵀ.
     */
    private static void gemvForms(LlamaModel model, int repeats) {
        try (NDManager views = model.newRequestManager()) {
            List<NDArray> weights = new ArrayList<>();
            for (NDArray w : model.stepWeights()) {
                weights.add(w.get(views, new NDIndex("0:{}", w.getShape().get(0))));
            }
            int[] blockCounts = {1, 2, 4, 8, 16};
            List<List<NDArray>> blocks = new ArrayList<>();
            for (int n : blockCounts) {
                List<NDArray> forN = new ArrayList<>();
                for (NDArray w : weights) {
                    long out = w.getShape().get(0);
                    long in = w.getShape().get(1);
                    forN.add(out % n == 0 ? w.reshape(n, out / n, in).transpose(0, 2, 1) : null);
                }
                blocks.add(forN);
            }
            for (int r = 0; r < repeats; r++) {
                StringBuilder line = new StringBuilder("GEMV forms (load " + load() + "), ms per step:");
                for (int b = 0; b < blockCounts.length; b++) {
                    List<NDArray> forN = blocks.get(b);
                    line.append(String.format(" %d blocks %.2f;", blockCounts[b], median(7, () -> {
                        try (NDManager scope = views.newSubManager()) {
                            for (int i = 0; i < weights.size(); i++) {
                                NDArray x = scope.ones(new Shape(1, weights.get(i).getShape().get(1)));
                                x.matMul(forN.get(i) != null ? forN.get(i) : weights.get(i).transpose());
                            }
                        }
                    })));
                }
                line.append(String.format(" linear %.2f;", median(7, () -> {
                    try (NDManager scope = views.newSubManager()) {
                        for (NDArray w : weights) {
                            NDArray x = scope.ones(new Shape(1, w.getShape().get(1)));
                            x.getNDArrayInternal().linear(x, w, null);
                        }
                    }
                })));
                line.append(String.format(" W·xᵀ %.2f;", median(7, () -> {
                    try (NDManager scope = views.newSubManager()) {
                        for (NDArray w : weights) {
                            NDArray x = scope.ones(new Shape(w.getShape().get(1), 1));
                            w.matMul(x).attach(scope);
                        }
                    }
                })));
                // A 1-D x makes torch.matmul a matrix-vector product (addmv, BLAS gemv) rather than a gemm.
                line.append(String.format(" W·x (1-D, mv) %.2f;", median(7, () -> {
                    try (NDManager scope = views.newSubManager()) {
                        for (NDArray w : weights) {
                            NDArray x = scope.ones(new Shape(w.getShape().get(1)));
                            w.matMul(x).attach(scope);
                        }
                    }
                })));
                // A 1x1 convolution over one position: PyTorch hands fp32 convolutions to oneDNN, not MKL.
                line.append(String.format(" conv1d %.2f", median(7, () -> {
                    try (NDManager scope = views.newSubManager()) {
                        for (NDArray w : weights) {
                            long out = w.getShape().get(0);
                            long in = w.getShape().get(1);
                            NDArray x = scope.ones(new Shape(1, in, 1));
                            NDArray k = w.reshape(out, in, 1);
                            x.getNDArrayInternal().convolution(x, k, null, new Shape(1), new Shape(0), new Shape(1), 1)
                                    .attach(scope);
                            k.attach(scope);
                        }
                    }
                })));
                System.out.println(line);
            }
            // The LM head alone (tied embedding, 21 % of a step's bytes) in the same forms, with more block counts.
            NDArray head = weights.get(weights.size() - 1);
            long out = head.getShape().get(0);
            long in = head.getShape().get(1);
            for (int r = 0; r < repeats; r++) {
                StringBuilder line = new StringBuilder("LM head forms (load " + load() + "), ms:");
                for (int n : new int[] {2, 8, 16, 32, 64, 128}) {
                    if (out % n != 0) {
                        continue;
                    }
                    NDArray view = head.reshape(n, out / n, in).transpose(0, 2, 1);
                    line.append(String.format(" %d blocks %.2f;", n, median(9, () -> {
                        try (NDManager scope = views.newSubManager()) {
                            scope.ones(new Shape(1, in)).matMul(view);
                        }
                    })));
                }
                line.append(String.format(" linear %.2f;", median(9, () -> {
                    try (NDManager scope = views.newSubManager()) {
                        NDArray x = scope.ones(new Shape(1, in));
                        x.getNDArrayInternal().linear(x, head, null);
                    }
                })));
                line.append(String.format(" W·xᵀ %.2f;", median(9, () -> {
                    try (NDManager scope = views.newSubManager()) {
                        head.matMul(scope.ones(new Shape(in, 1))).attach(scope);
                    }
                })));
                line.append(String.format(" W·x (1-D, mv) %.2f;", median(9, () -> {
                    try (NDManager scope = views.newSubManager()) {
                        head.matMul(scope.ones(new Shape(in))).attach(scope);
                    }
                })));
                line.append(String.format(" conv1d %.2f", median(9, () -> {
                    try (NDManager scope = views.newSubManager()) {
                        NDArray x = scope.ones(new Shape(1, in, 1));
                        NDArray k = head.reshape(out, in, 1);
                        x.getNDArrayInternal().convolution(x, k, null, new Shape(1), new Shape(0), new Shape(1), 1)
                                .attach(scope);
                        k.attach(scope);
                    }
                })));
                System.out.println(line);
            }
        }
    }

    private static double median(int n, Runnable task) {
        double[] ms = new double[n];
        for (int i = 0; i < n; i++) {
            long s = System.nanoTime();
            task.run();
            ms[i] = (System.nanoTime() - s) / 1e6;
        }
        Arrays.sort(ms);
        return ms[n / 2];
    }

    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    private static String load() {
        return String.format("%.2f", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
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
