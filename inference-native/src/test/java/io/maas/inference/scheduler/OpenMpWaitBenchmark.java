package io.maas.inference.scheduler;

import io.maas.inference.engine.GenerationListener;
import io.maas.inference.engine.GenerationRequest;
import io.maas.inference.engine.GenerationResult;
import io.maas.inference.engine.LlamaEngine;
import io.maas.inference.engine.TokenLogprob;
import io.maas.inference.model.ModelGenerator;
import io.maas.inference.model.ModelShape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Opt-in ({@code -Dinference.benchmark.openmp=true}: ~10 minutes, so not part of {@code ./maas bench}) A/B of OpenMP
 * wait settings (docs/adr/0020-openmp-bounded-spin.md):
 * each setting in a JVM of its own (libgomp reads its environment once), settings interleaved round by round. Per
 * setting: SmolLM-135M F32 batch-1 decode and prefill, then 1-token requests on the tiny model through a
 * {@link BatchScheduler} at 1 and 16 clients; each without and with CPU-burning threads (one per core) competing for
 * the cores. Prints a table with the load average; asserts nothing.
 */
// -Dinference.benchmark.ompSettings=PASSIVE,ACTIVE,300000,1000,... ("default": the engine's own choice;
// a number: GOMP_SPINCOUNT), -Dinference.benchmark.rounds, -Dinference.benchmark.seconds (per contention figure),
// -Dinference.benchmark.tokens and .decodeRounds (SmolLM completion tokens per decode figure, figures per setting),
// -Dinference.benchmark.models (a directory holding already generated models, default target/bench).
// Idle figures on a shared machine: with -Dinference.benchmark.quick=true (SmolLM without burners only), start Maven
// in a session of its own (setsid) and, as root, `echo -20 > /proc/<maven pid>/autogroup`: the kernel schedules
// sessions as groups (sched_autogroup), so a plain `nice` does not lift a process above other sessions' builds.
@EnabledIfSystemProperty(named = "inference.benchmark.openmp", matches = "true")
class OpenMpWaitBenchmark {

    private static final String PROMPT = "The meeting started at ten and ended at noon. The team discussed the plan "
            + "for the next quarter: what to build, what to improve, and what to stop doing.";
    private static final String[] FIGURES = {"decode", "prefill", "decodeBurn", "prefillBurn", "c1", "c16", "c1burn",
        "c16burn", "load"};

    @Test
    void waitSettings() throws Exception {
        Path models = Path.of(System.getProperty("inference.benchmark.models", "target/bench"));
        for (ModelShape shape : new ModelShape[] {ModelShape.TINY, ModelShape.SMOLLM_135M}) {
            Path dir = models.resolve(shape.name());
            if (!Files.exists(dir.resolve("model.safetensors"))) {
                ModelGenerator.write(dir, shape, 2024);
            }
        }
        String[] settings = System.getProperty("inference.benchmark.ompSettings",
                "PASSIVE,ACTIVE,300000,1000,10000,30000,100000").split(",");
        int rounds = Integer.getInteger("inference.benchmark.rounds", 2);
        String seconds = System.getProperty("inference.benchmark.seconds", "4");
        String tokens = System.getProperty("inference.benchmark.tokens", "33");
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Map<String, List<double[]>> results = new LinkedHashMap<>();
        for (int round = 0; round < rounds; round++) {
            for (String setting : settings) {
                List<String> command = new ArrayList<>(List.of(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", classPath));
                for (String key : new String[] {"ai.djl.offline", "DJL_CACHE_DIR", "java.util.logging.manager",
                        "ai.djl.pytorch.num_threads", "inference.benchmark.decodeRounds",
                        "inference.benchmark.quick"}) {
                    if (System.getProperty(key) != null) {
                        command.add("-D" + key + "=" + System.getProperty(key));
                    }
                }
                command.addAll(List.of(Child.class.getName(), models.resolve(ModelShape.TINY.name()).toString(),
                        models.resolve(ModelShape.SMOLLM_135M.name()).toString(), seconds, tokens));
                ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
                builder.environment().remove("OMP_WAIT_POLICY");
                builder.environment().remove("GOMP_SPINCOUNT");
                if (setting.equals("PASSIVE") || setting.equals("ACTIVE")) {
                    builder.environment().put("OMP_WAIT_POLICY", setting);
                } else if (!setting.equals("default")) {
                    builder.environment().put("GOMP_SPINCOUNT", setting);
                }
                Process process = builder.start();
                try (BufferedReader out = new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = out.readLine()) != null) {
                        if (line.startsWith("RESULT ")) {
                            results.computeIfAbsent(setting, s -> new ArrayList<>()).add(
                                    Arrays.stream(line.substring(7).trim().split(" "))
                                            .mapToDouble(Double::parseDouble).toArray());
                        }
                        if (!line.contains(" WARN ") && !line.startsWith("WARNING")) {
                            System.out.printf("[round %d, %s] %s%n", round, setting, line);
                        }
                    }
                }
                process.waitFor();
            }
        }
        System.out.println("| setting | round | SmolLM batch-1 decode tok/s | prefill tok/s | decode + burners | "
                + "prefill + burners | tiny, 1 client req/s | 16 clients | 1 client + burners | 16 clients + burners"
                + " | load avg |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|---|");
        for (Map.Entry<String, List<double[]>> e : results.entrySet()) {
            for (int r = 0; r < e.getValue().size(); r++) {
                double[] v = e.getValue().get(r);
                System.out.printf("| %s | %d | %.1f | %.0f | %.1f | %.0f | %.0f | %.0f | %.0f | %.0f | %.2f |%n",
                        e.getKey(), r, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8]);
            }
        }
    }

    /** One setting's figures, in the JVM whose environment holds it. */
    public static final class Child {

        /** Only the SmolLM figures without burners (with {@code inference.benchmark.nice}: idle speed). */
        private static final boolean QUICK = Boolean.getBoolean("inference.benchmark.quick");

        private static double loadSum;
        private static int loadCount;

        /** The load average now, also counted into the mean this setting reports. */
        private static double noteLoad() {
            double l = load();
            loadSum += l;
            loadCount++;
            return l;
        }

        public static void main(String[] args) throws Exception {
            Path tiny = Path.of(args[0]);
            Path smol = Path.of(args[1]);
            double seconds = Double.parseDouble(args[2]);
            int tokens = Integer.parseInt(args[3]);
            System.out.println(LlamaEngine.nativeThreading() + ", load " + load());
            double[] v = new double[FIGURES.length];
            try (LlamaEngine engine = LlamaEngine.load(smol)) {
                engine.generate(new GenerationRequest(PROMPT, 4)); // warm-up
                int rounds = Integer.getInteger("inference.benchmark.decodeRounds", 3);
                for (int burners : new int[] {0, Runtime.getRuntime().availableProcessors()}) {
                    if (burners > 0 && QUICK) {
                        break;
                    }
                    AtomicBoolean burn = burn(burners);
                    double[] decode = new double[rounds];
                    double[] prefill = new double[rounds];
                    for (int i = 0; i < decode.length; i++) {
                        // Time-boxed: a spinning setting under contention can take seconds per token.
                        long t0 = System.nanoTime();
                        long deadline = t0 + (long) (2.5 * seconds * 1e9);
                        GenerationResult r = engine.generate(GenerationRequest.builder().setPrompt(PROMPT)
                                .setMaxTokens(tokens).optTemperature(1.0).optSeed(i).build(), new GenerationListener() {
                                    @Override
                                    public void onDelta(String text, List<TokenLogprob> logprobs) {
                                    }

                                    @Override
                                    public boolean isCancelled() {
                                        return System.nanoTime() > deadline;
                                    }
                                });
                        double total = (System.nanoTime() - t0) / 1e9;
                        double ttft = r.timeToFirstTokenMs() / 1000.0;
                        decode[i] = r.completionTokens() > 1 ? (r.completionTokens() - 1) / (total - ttft) : 0;
                        prefill[i] = r.promptTokens() / ttft;
                    }
                    burn.set(false);
                    v[burners == 0 ? 0 : 2] = median(decode);
                    v[burners == 0 ? 1 : 3] = median(prefill);
                    System.out.printf("SmolLM batch-1, %d burner threads: decode %s tok/s, prefill %s tok/s,"
                            + " load %.2f%n", burners, Arrays.toString(round(decode)),
                            Arrays.toString(round(prefill)), noteLoad());
                }
            }
            if (!QUICK) {
                try (LlamaEngine engine = LlamaEngine.load(tiny);
                     BatchScheduler scheduler = new BatchScheduler(engine, new SchedulerConfig(16, 1 << 20, 1024))) {
                    requestsPerSecond(scheduler, 16, 1.0); // warm-up
                    int cores = Runtime.getRuntime().availableProcessors();
                    int i = 4;
                    for (int burners : new int[] {0, cores}) {
                        AtomicBoolean burn = burn(burners);
                        for (int clients : new int[] {1, 16}) {
                            v[i] = requestsPerSecond(scheduler, clients, seconds);
                            double l = noteLoad();
                            System.out.printf("tiny model through the scheduler, 1-token requests, %2d clients, %d"
                                    + " burner threads: %.0f req/s, load %.2f%n", clients, burners, v[i], l);
                            i++;
                        }
                        burn.set(false);
                    }
                }
            }
            v[8] = loadSum / loadCount;
            StringBuilder line = new StringBuilder("RESULT");
            for (double x : v) {
                line.append(' ').append(x);
            }
            System.out.println(line);
            System.exit(0);
        }

        /** Threads that only burn CPU until the flag is cleared: contention with a known shape. */
        private static AtomicBoolean burn(int threads) {
            AtomicBoolean burn = new AtomicBoolean(true);
            for (int b = 0; b < threads; b++) {
                Thread t = new Thread(() -> {
                    long x = 0;
                    while (burn.get()) {
                        x = x * 6364136223846793005L + 1442695040888963407L;
                    }
                    if (x == 42) {
                        System.out.print("");
                    }
                }, "burner-" + b);
                t.setDaemon(true);
                t.start();
            }
            return burn;
        }

        private static double requestsPerSecond(BatchScheduler scheduler, int clients, double seconds)
                throws InterruptedException {
            AtomicLong done = new AtomicLong();
            long end = System.nanoTime() + (long) (seconds * 1e9);
            List<Thread> threads = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                int seed = c;
                Thread t = new Thread(() -> {
                    while (System.nanoTime() < end) {
                        scheduler.generate(GenerationRequest.builder().setPrompt("Hello there").setMaxTokens(1)
                                .optTemperature(1.0).optSeed(seed).build(), GenerationListener.NONE);
                        done.incrementAndGet();
                    }
                });
                t.start();
                threads.add(t);
            }
            long t0 = System.nanoTime();
            for (Thread t : threads) {
                t.join();
            }
            return done.get() / ((System.nanoTime() - t0) / 1e9);
        }
    }

    private static double[] round(double[] values) {
        return Arrays.stream(values).map(x -> Math.round(x * 10) / 10.0).toArray();
    }

    private static double load() {
        return java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
