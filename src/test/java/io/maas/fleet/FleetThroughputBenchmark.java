package io.maas.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.maas.app.embedded.EmbeddedInfrastructure;
import io.maas.app.launch.LaunchSettings;
import io.maas.inference.model.ModelGenerator;
import io.maas.inference.model.ModelShape;

/**
 * Aggregate tokens/s of a gateway with two workers, the same gateway with one worker, and one worker's internal API
 * called directly (no gateway), each as separate JVMs from the packaged {@code quarkus-run.jar} on loopback: 32
 * concurrent completions over 8 LoRA adapters on a random-weight model of SmolLM-135M's shape. On a 2-core machine
 * the two workers share the same two cores, so the ratio measures the fleet's overhead, not its scaling.
 * Run with {@code ./maas bench -pl src -Dtest=FleetThroughputBenchmark}.
 */
class FleetThroughputBenchmark {
    private static final Path JAR = Path.of("target", "quarkus-app", "quarkus-run.jar");
    private static final String ADMIN_KEY = "sk-bench-admin-0123456789abcdefghijklmn";
    private static final String SECRET = "bench-fleet-secret";
    private static final String MODEL = "smollm-135m";
    private static final int ADAPTERS = 8;
    private static final int CONCURRENT = 32;
    private static final int MAX_TOKENS = Integer.getInteger("fleet.bench.tokens", 16);
    private static final int ROUNDS = Integer.getInteger("fleet.bench.rounds", 1);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private static EmbeddedInfrastructure infrastructure;
    private static final List<Process> processes = new ArrayList<>();

    /** One measured round: completion tokens received and the wall time from first send to last byte. */
    record Round(long tokens, long nanos, int failed) {
        double tokensPerSecond() {
            return tokens / (nanos / 1e9);
        }
    }

    @Test
    void gatewayWithTwoWorkersAgainstOneWorker() throws Exception {
        assumeTrue(Boolean.getBoolean("benchmarks"), "benchmarks run only with -Dbenchmarks=true");
        assumeTrue(Files.exists(JAR), "needs the packaged application (./maas bench installs it first)");
        Path root = Files.createTempDirectory(Files.createDirectories(Path.of("target").toAbsolutePath()), "fleet-bench-");
        infrastructure = EmbeddedInfrastructure.start(LaunchSettings.resolve(
                Map.of(LaunchSettings.ENV_DATA_DIR, Files.createDirectories(root.resolve("infra")).toString()),
                new Properties()));
        Map<String, String> infra = infrastructure.properties();
        Path models = Files.createDirectories(root.resolve("models"));
        ModelGenerator.write(models.resolve(MODEL), ModelShape.SMOLLM_135M, 42);
        Path adapters = Files.createDirectories(root.resolve("adapters"));
        for (int i = 0; i < ADAPTERS; i++) {
            ModelGenerator.writeAdapter(adapters.resolve("ad-" + i), ModelShape.SMOLLM_135M, MODEL, 16, 32.0,
                    Set.copyOf(ModelGenerator.ADAPTER_MODULES), 200 + i, false);
        }
        Map<String, String> common = new HashMap<>();
        common.put("MAAS_DB_URL", infra.get(LaunchSettings.PROP_DB_URL));
        common.put("MAAS_DB_USER", infra.get(LaunchSettings.PROP_DB_USER));
        common.put("MAAS_KAFKA_BOOTSTRAP", infra.get(LaunchSettings.PROP_KAFKA_BOOTSTRAP));
        common.put("MAAS_MODELS_DIR", models.toString());
        common.put("MAAS_ADAPTERS_DIR", adapters.toString());
        common.put("MAAS_FLEET_INTERNAL_TOKEN", SECRET);
        List<String> workerUrls = List.of("http://127.0.0.1:" + freePort(), "http://127.0.0.1:" + freePort());
        int gatewayPort = freePort();
        Map<String, String> env = new HashMap<>(common);
        env.put("MAAS_ROLE", "gateway");
        env.put("MAAS_BOOTSTRAP_ADMIN_KEY", ADMIN_KEY);
        env.put("MAAS_FLEET_WORKERS", String.join(",", workerUrls));
        env.put("MAAS_FLEET_POLL_INTERVAL", "500ms");
        env.put("MAAS_LIMITS_CONCURRENT_PER_TENANT", "64");
        start(root.resolve("gateway"), gatewayPort, env);
        String gateway = "http://127.0.0.1:" + gatewayPort;
        awaitReady(gateway, "/q/health/live"); // not ready before it has a live worker: it generates nothing itself
        // Two workers on 2 cores get one PyTorch intra-op thread each (as two 1-CPU pods would); the single worker
        // gets both cores. Oversubscribed OpenMP threads (2 × 2 on 2 cores) stall on their barriers.
        List<Process> workers = new ArrayList<>();
        for (String url : workerUrls) {
            workers.add(startWorker(root.resolve("worker-" + workers.size()), url, common, 1));
        }
        for (String url : workerUrls) {
            awaitReady(url);
        }
        awaitReady(gateway);
        awaitLiveWorkers(gateway, 2);
        System.out.printf("%nFleet throughput bench: %s shape (random weights, F32), %d concurrent requests over %d "
                + "adapters (rank 16), %d tokens each, temperature 0; %d cores, Java %s%n", MODEL, CONCURRENT,
                ADAPTERS, MAX_TOKENS, Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
        System.out.printf("command: ./maas bench -pl src -Dtest=FleetThroughputBenchmark; load average before: %s%n",
                loadAverage());
        System.out.println("| setup | rounds (tokens/s) | mean tokens/s | failed | load average after |");
        System.out.println("|---|---|---|---|---|");

        double twoMean = row("gateway + 2 workers (1 intra-op thread each)", measure(throughGateway(gateway)));
        System.out.println("routing while both workers ran: " + get(gateway + "/admin/fleet").path("routing"));

        // The single worker: a fresh one with both cores at the second worker's address, then the first one stops.
        workers.get(1).destroy();
        assertTrue(workers.get(1).waitFor(120, TimeUnit.SECONDS), "the second worker drains and exits");
        int singleThreads = Integer.getInteger("fleet.bench.single-threads", Runtime.getRuntime().availableProcessors());
        workers.add(startWorker(root.resolve("worker-single"), workerUrls.get(1), common, singleThreads));
        awaitReady(workerUrls.get(1));
        workers.get(0).destroy();
        assertTrue(workers.get(0).waitFor(120, TimeUnit.SECONDS), "the first worker drains and exits");
        awaitLiveWorkers(gateway, 1);
        double oneMean = row("gateway + 1 worker (" + singleThreads + " intra-op threads)",
                measure(throughGateway(gateway)));
        double directMean = row("the same worker, internal API direct (no gateway)", measure(direct(workerUrls.get(1))));
        System.out.printf("ratio 2 workers / 1 worker (both through the gateway): %.2f; gateway + 1 worker / worker "
                + "direct: %.2f%n", twoMean / oneMean, oneMean / directMean);
    }

    private static Process startWorker(Path dataDir, String url, Map<String, String> common, int threads)
            throws IOException {
        Map<String, String> workerEnv = new HashMap<>(common);
        workerEnv.put("MAAS_ROLE", "worker");
        return start(dataDir, Integer.parseInt(url.substring(url.lastIndexOf(':') + 1)), workerEnv,
                "-Dai.djl.pytorch.num_threads=" + threads);
    }

    private static String loadAverage() throws IOException {
        return Files.readString(Path.of("/proc/loadavg")).trim();
    }

    private static double row(String name, List<Round> rounds) {
        System.out.flush();
        StringBuilder each = new StringBuilder();
        double sum = 0;
        int failed = 0;
        for (Round r : rounds) {
            each.append(each.length() == 0 ? "" : ", ").append(String.format("%.1f", r.tokensPerSecond()));
            sum += r.tokensPerSecond();
            failed += r.failed();
        }
        double mean = sum / rounds.size();
        String load;
        try {
            load = loadAverage().substring(0, loadAverage().indexOf(' ', loadAverage().indexOf(' ') + 1));
        } catch (IOException e) {
            load = "?";
        }
        System.out.printf("| %s | %s | %.1f | %d | %s |%n", name, each, mean, failed, load);
        return mean;
    }

    /** A warm-up round (every adapter loaded where it will run), then {@link #ROUNDS} measured rounds. */
    private static List<Round> measure(RequestFactory factory) throws Exception {
        run(factory, ADAPTERS, 2);
        List<Round> rounds = new ArrayList<>();
        for (int i = 0; i < ROUNDS; i++) {
            rounds.add(run(factory, CONCURRENT, MAX_TOKENS));
        }
        return rounds;
    }

    /** Sends {@code n} requests at once, adapter {@code i % 8} for request i; counts the tokens received. */
    private static Round run(RequestFactory factory, int n, int maxTokens) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<Integer>> futures = new ArrayList<>();
            long started = System.nanoTime();
            for (int i = 0; i < n; i++) {
                futures.add(pool.submit(factory.request("ad-" + (i % ADAPTERS), maxTokens)));
            }
            long tokens = 0;
            int failed = 0;
            for (Future<Integer> f : futures) {
                int t = f.get(600, TimeUnit.SECONDS);
                if (t < 0) {
                    failed++;
                } else {
                    tokens += t;
                }
            }
            return new Round(tokens, System.nanoTime() - started, failed);
        } finally {
            pool.shutdownNow();
        }
    }

    /** Makes one request; its callable answers the completion tokens, or -1 when it failed. */
    interface RequestFactory {
        Callable<Integer> request(String adapter, int maxTokens);
    }

    private static RequestFactory throughGateway(String gateway) {
        return (adapter, maxTokens) -> () -> {
            String body = "{\"model\":\"" + MODEL + ":" + adapter + "\",\"prompt\":\"Once upon a time\",\"max_tokens\":"
                    + maxTokens + ",\"temperature\":0}";
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(gateway + "/v1/completions"))
                    .header("Authorization", "Bearer " + ADMIN_KEY).header("Content-Type", "application/json")
                    .timeout(Duration.ofSeconds(600)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                System.out.println("gateway answered " + r.statusCode() + ": " + r.body());
                return -1;
            }
            return JSON.readTree(r.body()).path("usage").path("completion_tokens").asInt();
        };
    }

    private static RequestFactory direct(String worker) {
        return (adapter, maxTokens) -> () -> {
            String body = "{\"request_id\":\"bench\",\"model\":\"" + MODEL + "\",\"adapter\":\"" + adapter
                    + "\",\"prompt\":\"Once upon a time\",\"max_tokens\":" + maxTokens
                    + ",\"temperature\":0,\"top_p\":1}";
            HttpResponse<InputStream> r = HTTP.send(HttpRequest.newBuilder(URI.create(worker + FleetWire.GENERATE_PATH))
                    .header(FleetWire.TOKEN_HEADER, SECRET).header("Content-Type", "application/json")
                    .timeout(Duration.ofSeconds(600)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = lines.readLine()) != null) {
                    JsonNode node = JSON.readTree(line);
                    if (node.has("finish_reason")) {
                        return node.path("completion_tokens").asInt();
                    }
                    if (node.has("error")) {
                        System.out.println("worker answered " + line);
                        return -1;
                    }
                }
            }
            return -1;
        };
    }

    @AfterAll
    static void stop() {
        processes.forEach(Process::destroyForcibly);
        for (Process p : processes) {
            try {
                p.waitFor(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (infrastructure != null) {
            infrastructure.close();
        }
    }

    private static void awaitLiveWorkers(String gateway, int n) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            int live = 0;
            for (JsonNode w : get(gateway + "/admin/fleet").path("workers")) {
                live += "live".equals(w.path("state").asText()) ? 1 : 0;
            }
            if (live == n) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the gateway never saw " + n + " live workers");
    }

    private static JsonNode get(String url) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url))
                .header("Authorization", "Bearer " + ADMIN_KEY).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), url + ": " + r.body());
        return JSON.readTree(r.body());
    }

    private static Process start(Path dataDir, int port, Map<String, String> env, String... jvmArgs)
            throws IOException {
        Files.createDirectories(dataDir);
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g", "-Dai.djl.offline=true",
                "-Dot.epg.working-dir=" + System.getProperty("ot.epg.working-dir", "/tmp/embedded-pg")));
        command.addAll(List.of(jvmArgs));
        command.addAll(List.of("-jar", JAR.toAbsolutePath().toString()));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().putAll(env);
        pb.environment().put("MAAS_DATA_DIR", dataDir.toString());
        pb.environment().put("MAAS_HTTP_PORT", Integer.toString(port));
        pb.redirectErrorStream(true).redirectOutput(dataDir.resolve("console.log").toFile());
        Process p = pb.start();
        processes.add(p);
        return p;
    }

    private static void awaitReady(String url) throws Exception {
        awaitReady(url, "/q/health/ready");
    }

    private static void awaitReady(String url, String path) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
        while (System.nanoTime() < deadline) {
            try {
                HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url + path))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(1000);
        }
        throw new AssertionError(url + " did not become ready");
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
