package io.maas.gateway.api;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.maas.gateway.inference.EngineSchedulers;
import io.maas.gateway.inference.ModelRegistry;
import io.maas.inference.engine.GenerationListener;
import io.maas.inference.engine.GenerationRequest;
import io.maas.inference.engine.LlamaEngine;
import io.maas.inference.engine.TokenLogprob;
import io.maas.inference.scheduler.BatchScheduler;
import io.maas.testing.EmbeddedServicesResource;
import io.maas.testing.TestSampling;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.reactive.messaging.kafka.KafkaClientService;

/**
 * Bench (not a test): latency and throughput of a 1-token completion on the demo model through HTTP (auth,
 * admission, JSON, metering, the model's batch scheduler) against the same request submitted in-process to the same
 * {@link BatchScheduler} instance the gateway uses, at 1, 16 and 64 concurrent clients. HTTP load comes from
 * {@code wrk} (Debian package) when it is on the PATH, else from java.net.http clients in this JVM. Run with
 * {@code ./maas bench}; {@code -Dbench.gateway.seconds=N} sets the length of each row (default 8),
 * {@code -Dbench.gateway.client=java} forces the in-JVM clients, {@code -Dbench.gateway.clients=64} picks the rows,
 * {@code -Dbench.gateway.quick=true} keeps only the primary and CPU rows. Traces are sampled as in production
 * (ratio 0, {@link TestSampling}) unless {@code -Dbench.gateway.sample-traces=true} keeps the test profile's ratio 1;
 * {@code -Dbench.gateway.ab-traces=true} adds, after each HTTP row, the same row with every trace recorded, and
 * {@code -Dbench.gateway.ab-linger=0,20} the same row with each of these usage-publisher lingers (ms). For a
 * profile start JFR with the JVM ({@code -DargLine=-XX:StartFlightRecording=settings=profile,filename=x.jfr}):
 * started mid-run, JFR retransforms JDK classes and the deoptimized code recompiles through the measured row.
 */
@QuarkusTest
@QuarkusTestResource(value = EmbeddedServicesResource.class, restrictToAnnotatedClass = false)
class GatewayOverheadBenchmark {
    private static final String BODY = "{\"model\":\"demo-tiny\",\"prompt\":\"Hello\",\"max_tokens\":1,\"temperature\":0}";
    private static final int[] CLIENTS = Arrays.stream(System.getProperty("bench.gateway.clients", "1,16,64").split(","))
            .mapToInt(c -> Integer.parseInt(c.trim())).toArray();
    /** Only the primary rows (consumer paused) and the CPU table: no consumer-running, direct or streaming rows. */
    private static final boolean QUICK = Boolean.getBoolean("bench.gateway.quick");

    @Inject
    ModelRegistry models;
    @Inject
    EngineSchedulers schedulers;
    @Inject
    KafkaClientService kafka;
    @Inject
    TestSampling sampling;
    @Inject
    io.maas.gateway.metering.UsagePublisher usagePublisher;
    @Inject
    io.maas.app.config.MaasConfig config;

    @TestHTTPResource("/")
    java.net.URL base;

    @Test
    void gatewayOverhead() throws Exception {
        assumeTrue(Boolean.getBoolean("benchmarks"), "benchmarks run only with -Dbenchmarks=true");
        // Production samples no trace (quarkus.otel.traces.sampler.arg=0); the test profile records every one.
        boolean sampleTraces = Boolean.getBoolean("bench.gateway.sample-traces");
        sampling.setRatio(sampleTraces ? 1.0 : 0.0);
        try {
            run();
        } finally {
            sampling.setRatio(1.0);
        }
    }

    private void run() throws Exception {
        Duration row = Duration.ofSeconds(Integer.getInteger("bench.gateway.seconds", 8));
        LlamaEngine engine = models.find("demo-tiny").orElseThrow();
        // The engine path of a served request: the gateway's own scheduler for this model, not a second one.
        BatchScheduler scheduler = schedulers.schedulerFor(engine);
        GenerationRequest oneToken = GenerationRequest.builder().setPrompt("Hello").setMaxTokens(1).optTemperature(0)
                .build();
        Callable<Void> viaScheduler = () -> {
            scheduler.generate(oneToken, GenerationListener.NONE);
            return null;
        };
        Callable<Void> engineDirect = () -> {
            engine.generate(oneToken);
            return null;
        };
        String root = "http://127.0.0.1:" + base.getPort();
        HttpLoad completions = HttpLoad.post(root + "/v1/completions", BODY);
        HttpLoad listModels = HttpLoad.get(root + "/v1/models", true);
        HttpLoad health = HttpLoad.get(root + "/q/health/live", false);

        System.out.printf("%nGateway overhead bench: 1-token completion on demo-tiny, %d cores, Java %s, %s, HTTP load: %s%n",
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"),
                LlamaEngine.nativeThreading(), completions.tool());
        System.out.println("command: ./maas bench -pl src -Dtest=GatewayOverheadBenchmark   (" + row.toSeconds()
                + " s per row; traces sampled: " + Boolean.getBoolean("bench.gateway.sample-traces") + ")");
        // Warm-up long enough for the JIT to compile the HTTP path (RESTEasy, Jackson, security, Kafka producer):
        // with 50 requests, the first rows measured mostly the interpreter (1 client: 20.7 ms vs 5.0 ms warm).
        // Then on until the JIT is quiet: with the in-JVM broker, Quarkus and Netty to compile on 2 busy cores, 20 s
        // left the compiler threads busy through every HTTP row (3.5-9 ms of compile time per request measured).
        completions.run(4, Duration.ofSeconds(20));
        var jit = java.lang.management.ManagementFactory.getCompilationMXBean();
        for (int round = 1; round <= 12; round++) {
            long before = jit.getTotalCompilationTime();
            completions.run(4, Duration.ofSeconds(10));
            long compiledMs = jit.getTotalCompilationTime() - before;
            System.out.printf("warm-up round %d: JIT compile time %d ms in 10 s%n", round, compiledMs);
            if (compiledMs < 500) {
                break;
            }
        }
        measure(viaScheduler, 4, Duration.ofSeconds(5));
        measure(engineDirect, 1, Duration.ofSeconds(3));
        listModels.run(1, Duration.ofSeconds(2));
        health.run(1, Duration.ofSeconds(2));

        Result models1 = listModels.run(1, row);
        Result health1 = health.run(1, row);
        System.out.printf("%nGET /v1/models (auth only): p50 %.2f ms p99 %.2f ms; GET /q/health/live: p50 %.2f ms p99 %.2f ms"
                + " (1 client, load average %s)%n", models1.p50Ms(), models1.p99Ms(), health1.p50Ms(), health1.p99Ms(),
                loadAverage());

        List<String> primary = new ArrayList<>();
        List<String> consumerRunning = new ArrayList<>();
        List<String> schedulerOwn = new ArrayList<>();
        List<String> cpuRows = new ArrayList<>();
        List<String> repeats = new ArrayList<>();
        var consumer = kafka.getConsumer("usage-in");
        for (int clients : CLIENTS) {
            // In production the billing consumer runs in its own pods (role billing): pause the in-JVM one.
            consumer.pause().await().atMost(Duration.ofSeconds(10));
            Thread.sleep(2_000); // let it finish what it had fetched
            String load = loadAverage();
            CpuUse cpuHttp = CpuUse.start();
            Result h = completions.run(clients, row);
            cpuHttp.stop(h, row);
            if (Boolean.getBoolean("bench.gateway.ab-traces")) {
                // A/B in the same minutes: the same row with every trace recorded (the test profile's ratio 1).
                sampling.setRatio(1.0);
                CpuUse cpuSampled = CpuUse.start();
                Result sampled = completions.run(clients, row);
                cpuSampled.stop(sampled, row);
                sampling.setRatio(Boolean.getBoolean("bench.gateway.sample-traces") ? 1.0 : 0.0);
                cpuRows.add(String.format("| %d | HTTP, every trace recorded (%.0f req/s, p50 %.2f, p99 %.2f ms) | %.2f | %s | %s |",
                        clients, sampled.perSecond(), sampled.p50Ms(), sampled.p99Ms(), cpuSampled.processMsPerRequest(),
                        cpuSampled.byThreadGroup(), cpuSampled.memory()));
            }
            for (String ms : System.getProperty("bench.gateway.ab-linger", "").split(",")) {
                if (ms.isBlank()) {
                    continue;
                }
                // A/B of the usage publisher's batch linger in the same minutes (ADR 0021).
                usagePublisher.setLinger(Duration.ofMillis(Long.parseLong(ms.trim())));
                CpuUse cpuLinger = CpuUse.start();
                Result lingered = completions.run(clients, row);
                cpuLinger.stop(lingered, row);
                usagePublisher.setLinger(config.metering().linger());
                cpuRows.add(String.format("| %d | HTTP, usage linger %s ms (%.0f req/s, p50 %.2f, p99 %.2f ms) | %.2f | %s | %s |",
                        clients, ms.trim(), lingered.perSecond(), lingered.p50Ms(), lingered.p99Ms(),
                        cpuLinger.processMsPerRequest(), cpuLinger.byThreadGroup(), cpuLinger.memory()));
            }
            CpuUse cpuScheduler = CpuUse.start();
            Result s = measure(viaScheduler, clients, row);
            cpuScheduler.stop(s, row);
            cpuRows.add(String.format("| %d | HTTP | %.2f | %s | %s |", clients, cpuHttp.processMsPerRequest(),
                    cpuHttp.byThreadGroup(), cpuHttp.memory()));
            cpuRows.add(String.format("| %d | in-process | %.2f | %s | %s |", clients,
                    cpuScheduler.processMsPerRequest(), cpuScheduler.byThreadGroup(), cpuScheduler.memory()));
            // The same pair again: how far two identical rows differ here is the noise under any overhead figure.
            Result h2 = completions.run(clients, row);
            Result s2 = measure(viaScheduler, clients, row);
            repeats.add(String.format("| %d | %.2f / %.2f | %.2f / %.2f | %.2f | %.2f | %.2f | %.2f |", clients,
                    h.p99Ms(), h2.p99Ms(), s.p99Ms(), s2.p99Ms(), h.p99Ms() - s.p99Ms(), h2.p99Ms() - s2.p99Ms(),
                    Math.abs(s2.p99Ms() - s.p99Ms()), h2.perSecond() / s2.perSecond()));
            Result d = QUICK ? new Result(0, 0, 0) : measure(engineDirect, clients, row);
            consumer.resume().await().atMost(Duration.ofSeconds(10));
            Thread.sleep(5_000); // let it catch up on the paused row's events
            String loadRunning = loadAverage();
            Result r = QUICK ? new Result(0, 0, 0) : completions.run(clients, row);
            primary.add(String.format("| %d | %s | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.0f | %.0f | %.2f |", clients,
                    load, h.p50Ms(), h.p99Ms(), s.p50Ms(), s.p99Ms(), h.p50Ms() - s.p50Ms(), h.p99Ms() - s.p99Ms(),
                    h.perSecond(), s.perSecond(), h.perSecond() / s.perSecond()));
            consumerRunning.add(String.format("| %d | %s | %.2f | %.2f | %.2f | %.2f | %.0f | %.2f |", clients,
                    loadRunning, r.p50Ms(), r.p99Ms(), r.p50Ms() - s.p50Ms(), r.p99Ms() - s.p99Ms(), r.perSecond(),
                    r.perSecond() / s.perSecond()));
            schedulerOwn.add(String.format("| %d | %.2f | %.2f | %.0f | %.2f | %.2f | %.0f |", clients, s.p50Ms(),
                    s.p99Ms(), s.perSecond(), d.p50Ms(), d.p99Ms(), d.perSecond()));
        }
        // The floor under any request to this server, measured the same way: the HTTP path without the engine.
        // A throughput within 10 % of in-process needs the completion's whole HTTP path to cost less CPU than this.
        consumer.pause().await().atMost(Duration.ofSeconds(10));
        Thread.sleep(2_000);
        int floorClients = CLIENTS[CLIENTS.length - 1];
        for (var floor : List.of(java.util.Map.entry("GET /q/health/live (no auth, no engine)", health),
                java.util.Map.entry("GET /v1/models (API key, JSON, no engine)", listModels))) {
            CpuUse cpu = CpuUse.start();
            Result f = floor.getValue().run(floorClients, row);
            cpu.stop(f, row);
            cpuRows.add(String.format("| %d | %s (%.0f req/s, p50 %.2f, p99 %.2f ms) | %.2f | %s | %s |", floorClients,
                    floor.getKey(), f.perSecond(), f.p50Ms(), f.p99Ms(), cpu.processMsPerRequest(), cpu.byThreadGroup(),
                    cpu.memory()));
        }
        consumer.resume().await().atMost(Duration.ofSeconds(10));
        System.out.println("\nHTTP vs in-process through the same scheduler, billing consumer paused (ms; overhead = HTTP - in-process):");
        System.out.println("| clients | load avg | HTTP p50 | HTTP p99 | in-process p50 | in-process p99 | p50 overhead"
                + " | p99 overhead | HTTP req/s | in-process req/s | throughput ratio |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|---|");
        primary.forEach(System.out::println);
        System.out.println("\nEach pair measured twice in a row (ms; A/A = the in-process p99's own spread between its two"
                + " rows):");
        System.out.println("| clients | HTTP p99 1st / 2nd | in-process p99 1st / 2nd | p99 overhead 1st | p99 overhead 2nd"
                + " | in-process A/A p99 difference | throughput ratio 2nd |");
        System.out.println("|---|---|---|---|---|---|---|");
        repeats.forEach(System.out::println);
        System.out.println("\nHTTP with the in-JVM billing consumer running (same in-process baseline):");
        System.out.println("| clients | load avg | HTTP p50 | HTTP p99 | p50 overhead | p99 overhead | HTTP req/s | throughput ratio |");
        System.out.println("|---|---|---|---|---|---|---|---|");
        consumerRunning.forEach(System.out::println);
        System.out.println("\nThe scheduler's own cost: in-process through the scheduler vs LlamaEngine.generate on the caller's threads:");
        System.out.println("| clients | scheduler p50 | scheduler p99 | scheduler req/s | direct p50 | direct p99 | direct req/s |");
        System.out.println("|---|---|---|---|---|---|---|");
        schedulerOwn.forEach(System.out::println);
        System.out.println("\nCPU of this JVM per request (consumer paused; wrk's own CPU not included; native OpenMP"
                + " threads only in the process total), ms of CPU per request by thread group:");
        System.out.println("| clients | path | process CPU ms/request | by Java thread group | per request |");
        System.out.println("|---|---|---|---|---|");
        cpuRows.forEach(System.out::println);
        if (!QUICK) {
            streaming(scheduler, root);
        }
    }

    /** Time to the first byte of a streamed completion against the scheduler's own time to first token. */
    private static void streaming(BatchScheduler scheduler, String root) throws Exception {
        String body = "{\"model\":\"demo-tiny\",\"prompt\":\"Hello\",\"max_tokens\":16,\"temperature\":0,\"stream\":true}";
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create(root + "/v1/completions"))
                .header("Authorization", "Bearer " + EmbeddedServicesResource.ADMIN_KEY)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
        GenerationRequest sixteen = GenerationRequest.builder().setPrompt("Hello").setMaxTokens(16).optTemperature(0)
                .build();
        int rounds = 100;
        long[] ttfb = new long[rounds];
        long[] ttft = new long[rounds];
        for (int pass = 0; pass < 2; pass++) {
            for (int i = 0; i < rounds; i++) {
                long t0 = System.nanoTime();
                HttpResponse<java.io.InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
                try (java.io.InputStream in = response.body()) {
                    if (in.read() < 0 || response.statusCode() != 200) {
                        throw new IllegalStateException("stream failed: " + response.statusCode());
                    }
                    ttfb[i] = System.nanoTime() - t0;
                    in.transferTo(java.io.OutputStream.nullOutputStream());
                }
                long[] first = {-1};
                long t1 = System.nanoTime();
                scheduler.generate(sixteen, new GenerationListener() {
                    @Override
                    public void onDelta(String text, List<TokenLogprob> logprobs) {
                        if (first[0] < 0) {
                            first[0] = System.nanoTime() - t1;
                        }
                    }
                });
                ttft[i] = first[0];
            }
        }
        Arrays.sort(ttfb);
        Arrays.sort(ttft);
        System.out.printf("%nStreaming, 16 tokens, 1 client, %d requests (load average %s):%n", rounds, loadAverage());
        System.out.printf("| HTTP time to first byte | p50 %.2f ms | p99 %.2f ms |%n", ttfb[rounds / 2] / 1e6,
                ttfb[rounds * 99 / 100] / 1e6);
        System.out.printf("| scheduler time to first token (in-process) | p50 %.2f ms | p99 %.2f ms |%n",
                ttft[rounds / 2] / 1e6, ttft[rounds * 99 / 100] / 1e6);
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException e) {
            return "unknown";
        }
    }

    record Result(double p50Ms, double p99Ms, double perSecond) {
    }

    /** CPU time of this process and of its Java threads (grouped by name) over one row, per request served. */
    static final class CpuUse {
        private final long processStartNanos;
        private final java.util.Map<Long, Long> threadStart = new java.util.HashMap<>();
        private final java.util.Map<Long, String> names = new java.util.HashMap<>();
        private double requests;
        private long processNanos;
        private final java.util.Map<String, Long> groups = new java.util.TreeMap<>();

        private final long allocatedStart;
        private final long gcStartMs;
        private final long jitStartMs;
        private long allocated;
        private long gcMs;
        private long jitMs;

        private CpuUse() {
            this.processStartNanos = processCpuNanos();
            var threads = java.lang.management.ManagementFactory.getThreadMXBean();
            for (long id : threads.getAllThreadIds()) {
                threadStart.put(id, Math.max(0, threads.getThreadCpuTime(id)));
            }
            allocatedStart = allocatedBytes();
            gcStartMs = gcMillis();
            jitStartMs = java.lang.management.ManagementFactory.getCompilationMXBean().getTotalCompilationTime();
        }

        /** Bytes allocated by all live Java threads (threads that ended meanwhile are left out). */
        private static long allocatedBytes() {
            var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
            long sum = 0;
            for (long b : threads.getThreadAllocatedBytes(threads.getAllThreadIds())) {
                sum += Math.max(0, b);
            }
            return sum;
        }

        private static long gcMillis() {
            long sum = 0;
            for (var gc : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) {
                sum += Math.max(0, gc.getCollectionTime());
            }
            return sum;
        }

        /** Allocation, GC time and JIT compile time over the row, per request. */
        String memory() {
            return String.format("%.1f KB allocated, GC %.3f ms, JIT %.3f ms", allocated / 1024.0 / requests,
                    gcMs / requests, jitMs / requests);
        }

        static CpuUse start() {
            return new CpuUse();
        }

        void stop(Result r, Duration length) {
            processNanos = processCpuNanos() - processStartNanos;
            requests = r.perSecond() * length.toSeconds();
            allocated = allocatedBytes() - allocatedStart;
            gcMs = gcMillis() - gcStartMs;
            jitMs = java.lang.management.ManagementFactory.getCompilationMXBean().getTotalCompilationTime() - jitStartMs;
            var threads = java.lang.management.ManagementFactory.getThreadMXBean();
            for (var info : threads.getThreadInfo(threads.getAllThreadIds())) {
                if (info == null) {
                    continue;
                }
                long used = Math.max(0, threads.getThreadCpuTime(info.getThreadId()))
                        - threadStart.getOrDefault(info.getThreadId(), 0L);
                groups.merge(group(info.getThreadName()), used, Long::sum);
            }
        }

        double processMsPerRequest() {
            return processNanos / 1e6 / requests;
        }

        String byThreadGroup() {
            StringBuilder b = new StringBuilder();
            groups.entrySet().stream().filter(e -> e.getValue() / 1e6 / requests >= 0.005)
                    .sorted((a, c) -> Long.compare(c.getValue(), a.getValue()))
                    .forEach(e -> b.append(b.length() == 0 ? "" : ", ").append(e.getKey()).append(' ')
                            .append(String.format("%.3f", e.getValue() / 1e6 / requests)));
            return b.toString();
        }

        private static String group(String name) {
            if (name.startsWith("vert.x-eventloop")) {
                return "event loop";
            }
            if (name.startsWith("executor-thread")) {
                return "workers";
            }
            if (name.startsWith("maas-scheduler")) {
                return "scheduler (Java side)";
            }
            if (name.startsWith("maas-usage-publisher") || name.startsWith("kafka-producer-network")) {
                return "usage publisher";
            }
            if (name.startsWith("pool-")) {
                return "bench clients";
            }
            if (name.startsWith("smallrye-kafka")) {
                return "billing consumer";
            }
            if (name.contains("kafka") || name.contains("raft") || name.contains("quorum") || name.contains("broker")
                    || name.contains("group-coordinator") || name.contains("executor-")) {
                return "embedded Kafka broker";
            }
            return "other";
        }

        private static long processCpuNanos() {
            return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                    .getOperatingSystemMXBean()).getProcessCpuTime();
        }
    }

    /** Closed-loop clients in this JVM: each sends its next call when the previous one answered. */
    static Result measure(Callable<Void> call, int clients, Duration length) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            List<Future<long[]>> futures = new ArrayList<>();
            long start = System.nanoTime();
            long end = start + length.toNanos();
            for (int c = 0; c < clients; c++) {
                futures.add(pool.submit(() -> {
                    long[] t = new long[1024];
                    int n = 0;
                    while (System.nanoTime() < end) {
                        long t0 = System.nanoTime();
                        call.call();
                        if (n == t.length) {
                            t = Arrays.copyOf(t, n * 2);
                        }
                        t[n++] = System.nanoTime() - t0;
                    }
                    return Arrays.copyOf(t, n);
                }));
            }
            long[] all = new long[0];
            for (Future<long[]> f : futures) {
                long[] t = f.get();
                int k = all.length;
                all = Arrays.copyOf(all, k + t.length);
                System.arraycopy(t, 0, all, k, t.length);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            Arrays.sort(all);
            return new Result(all[all.length / 2] / 1e6, all[(int) (all.length * 0.99)] / 1e6, all.length / seconds);
        } finally {
            pool.shutdown();
        }
    }

    /** One kind of HTTP request under closed-loop load: {@code wrk} in its own process when installed. */
    interface HttpLoad {
        Result run(int clients, Duration length) throws Exception;

        String tool();

        static HttpLoad post(String url, String body) throws IOException {
            return Wrk.available() ? new Wrk(url, body, true) : new JavaClients(url, body, true);
        }

        static HttpLoad get(String url, boolean auth) throws IOException {
            return Wrk.available() ? new Wrk(url, null, auth) : new JavaClients(url, null, auth);
        }
    }

    /** wrk 4 (one thread, one connection per client, keep-alive), latencies from its --latency distribution. */
    static final class Wrk implements HttpLoad {
        private static final Pattern PERCENTILE = Pattern.compile("^\\s*(50|99)(?:\\.000)?%\\s+([0-9.]+)(us|ms|s)\\s*$",
                Pattern.MULTILINE);
        private static final Pattern RATE = Pattern.compile("Requests/sec:\\s+([0-9.]+)");
        private final String url;
        private final Path script;

        Wrk(String url, String body, boolean auth) throws IOException {
            this.url = url;
            StringBuilder lua = new StringBuilder();
            if (body != null) {
                lua.append("wrk.method = \"POST\"\n");
                lua.append("wrk.body = '").append(body).append("'\n");
                lua.append("wrk.headers[\"Content-Type\"] = \"application/json\"\n");
            }
            if (auth) {
                lua.append("wrk.headers[\"Authorization\"] = \"Bearer ").append(EmbeddedServicesResource.ADMIN_KEY)
                        .append("\"\n");
            }
            this.script = Files.createTempFile("gateway-bench", ".lua");
            Files.writeString(script, lua.toString(), StandardCharsets.UTF_8);
            script.toFile().deleteOnExit();
        }

        static boolean available() {
            return !"java".equals(System.getProperty("bench.gateway.client")) && Files.isExecutable(Path.of("/usr/bin/wrk"));
        }

        @Override
        public String tool() {
            return "wrk 4.1 (Debian), 1 thread, 1 connection per client, in its own process";
        }

        @Override
        public Result run(int clients, Duration length) throws Exception {
            Process p = new ProcessBuilder("/usr/bin/wrk", "-t1", "-c" + clients, "-d" + length.toSeconds() + "s",
                    "--timeout", "30s", "--latency", "-s", script.toString(), url).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() != 0 || out.contains("Non-2xx") || out.contains("Socket errors")) {
                throw new IllegalStateException("wrk failed or saw errors:\n" + out);
            }
            double p50 = -1;
            double p99 = -1;
            Matcher m = PERCENTILE.matcher(out);
            while (m.find()) {
                double v = Double.parseDouble(m.group(2));
                double ms = switch (m.group(3)) {
                    case "us" -> v / 1000;
                    case "ms" -> v;
                    default -> v * 1000;
                };
                if (m.group(1).equals("50")) {
                    p50 = ms;
                } else {
                    p99 = ms;
                }
            }
            Matcher r = RATE.matcher(out);
            if (p50 < 0 || p99 < 0 || !r.find()) {
                throw new IllegalStateException("unexpected wrk output:\n" + out);
            }
            return new Result(p50, p99, Double.parseDouble(r.group(1)));
        }
    }

    /** Fallback without wrk: java.net.http clients on threads of this JVM (they share the cores with the server). */
    static final class JavaClients implements HttpLoad {
        private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        private final HttpRequest request;

        JavaClients(String url, String body, boolean auth) {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url));
            if (auth) {
                b.header("Authorization", "Bearer " + EmbeddedServicesResource.ADMIN_KEY);
            }
            this.request = body == null ? b.GET().build()
                    : b.header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
        }

        @Override
        public String tool() {
            return "java.net.http clients in the server's JVM";
        }

        @Override
        public Result run(int clients, Duration length) throws Exception {
            return measure(() -> {
                HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() != 200) {
                    throw new IllegalStateException("HTTP " + r.statusCode() + ": " + r.body());
                }
                return null;
            }, clients, length);
        }
    }
}
