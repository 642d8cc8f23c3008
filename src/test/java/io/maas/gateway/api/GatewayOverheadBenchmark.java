package io.maas.gateway.api;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.maas.gateway.inference.GenerationExecutor;
import io.maas.gateway.inference.ModelRegistry;
import io.maas.inference.engine.GenerationRequest;
import io.maas.inference.engine.LlamaEngine;
import io.maas.testing.EmbeddedServicesResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.reactive.messaging.kafka.KafkaClientService;

/**
 * Bench (not a test): latency of a 1-token completion on the demo model through HTTP (auth, admission, JSON,
 * metering) against the same generation called in-process, at 1, 16 and 64 concurrent clients. Run with
 * {@code ./maas bench}.
 */
@QuarkusTest
@QuarkusTestResource(value = EmbeddedServicesResource.class, restrictToAnnotatedClass = false)
class GatewayOverheadBenchmark {
    private static final String BODY = "{\"model\":\"demo-tiny\",\"prompt\":\"Hello\",\"max_tokens\":1,\"temperature\":0}";
    private static final int REQUESTS_PER_CLIENT = 200;
    private static final int WARM_UP_REQUESTS = 4_000;

    @Inject
    ModelRegistry models;
    @Inject
    GenerationExecutor engineThreads;
    @Inject
    KafkaClientService kafka;

    @TestHTTPResource("/")
    java.net.URL base;

    @Test
    void gatewayOverhead() throws Exception {
        assumeTrue(Boolean.getBoolean("benchmarks"), "benchmarks run only with -Dbenchmarks=true");
        LlamaEngine engine = models.find("demo-tiny").orElseThrow();
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + base.getPort() + "/v1/completions"))
                .header("Authorization", "Bearer " + EmbeddedServicesResource.ADMIN_KEY)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(BODY)).build();
        Callable<Void> viaHttp = () -> {
            HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new IllegalStateException("HTTP " + r.statusCode() + ": " + r.body());
            }
            return null;
        };
        Callable<Void> inProcess = () -> {
            engine.generate(new GenerationRequest("Hello", 1));
            return null;
        };
        HttpRequest models = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + base.getPort() + "/v1/models"))
                .header("Authorization", "Bearer " + EmbeddedServicesResource.ADMIN_KEY).GET().build();
        HttpRequest health = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + base.getPort() + "/q/health/live")).GET().build();
        Callable<Void> authOnly = () -> {
            http.send(models, HttpResponse.BodyHandlers.ofString());
            return null;
        };
        Callable<Void> noAuth = () -> {
            http.send(health, HttpResponse.BodyHandlers.ofString());
            return null;
        };
        measure(authOnly, 1, 50);
        measure(noAuth, 1, 50);
        Result a = measure(authOnly, 1, 200);
        Result n = measure(noAuth, 1, 200);
        System.out.printf("%nGET /v1/models (auth only): p50 %.2f ms p99 %.2f ms; GET /q/health/live: p50 %.2f ms p99 %.2f ms%n",
                a.p50Ms(), a.p99Ms(), n.p50Ms(), n.p99Ms());
        // Warm-up long enough for the JIT to compile the HTTP path (RESTEasy, Jackson, security, Kafka producer):
        // with 50 requests, the first rows measured mostly the interpreter (1 client: 20.7 ms vs 5.0 ms warm).
        measure(viaHttp, 4, WARM_UP_REQUESTS / 4);
        measure(inProcess, 1, WARM_UP_REQUESTS / 4);
        System.out.printf("%nGateway overhead bench: 1-token completion on demo-tiny, %d cores, Java %s%n",
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
        System.out.println("command: ./maas bench   (src: GatewayOverheadBenchmark)");
        System.out.println("| clients | HTTP p50 ms | HTTP p99 ms | in-process p50 ms | in-process p99 ms | HTTP req/s | in-process req/s | throughput ratio |");
        System.out.println("|---|---|---|---|---|---|---|---|");
        for (int clients : new int[] {1, 16, 64}) {
            Result h = measure(viaHttp, clients, REQUESTS_PER_CLIENT);
            Result e = measure(inProcess, clients, REQUESTS_PER_CLIENT);
            System.out.printf("| %d | %.2f | %.2f | %.2f | %.2f | %.0f | %.0f | %.2f |%n", clients, h.p50Ms(), h.p99Ms(),
                    e.p50Ms(), e.p99Ms(), h.perSecond(), e.perSecond(), h.perSecond() / e.perSecond());
        }
        split(engine, viaHttp, inProcess);
        streaming(engine, http);
    }

    /**
     * Splits the 1-client gap, in one run: the engine called through the gateway's engine threads (the hop
     * from the HTTP worker to a fixed engine thread) and HTTP with the in-JVM billing consumer paused (its
     * rating and ledger transactions, plus PostgreSQL and the broker serving it, share the two cores).
     */
    private void split(LlamaEngine engine, Callable<Void> viaHttp, Callable<Void> inProcess) throws Exception {
        Callable<Void> viaEngineThreads = () -> {
            engineThreads.call(() -> engine.generate(new GenerationRequest("Hello", 1)));
            return null;
        };
        System.out.printf("%nSplit at 1 client (%d requests each, same run, load average %s):%n", REQUESTS_PER_CLIENT,
                loadAverage());
        System.out.println("| path | p50 ms | p99 ms |");
        System.out.println("|---|---|---|");
        row("in-process, caller's thread", measure(inProcess, 1, REQUESTS_PER_CLIENT));
        row("in-process, through the engine threads", measure(viaEngineThreads, 1, REQUESTS_PER_CLIENT));
        row("HTTP", measure(viaHttp, 1, REQUESTS_PER_CLIENT));
        var consumer = kafka.getConsumer("usage-in");
        consumer.pause().await().atMost(Duration.ofSeconds(10));
        try {
            Thread.sleep(2_000); // let the consumer finish what it had fetched
            row("HTTP, billing consumer paused", measure(viaHttp, 1, REQUESTS_PER_CLIENT));
            System.out.println("  (partitions still paused after: " + consumer.paused().await().atMost(
                    Duration.ofSeconds(10)) + ")");
        } finally {
            consumer.resume().await().atMost(Duration.ofSeconds(10));
        }
    }

    /** Time to the first byte of a streamed completion against the engine's own time to first token. */
    private void streaming(LlamaEngine engine, HttpClient http) throws Exception {
        String body = "{\"model\":\"demo-tiny\",\"prompt\":\"Hello\",\"max_tokens\":16,\"temperature\":0,\"stream\":true}";
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + base.getPort() + "/v1/completions"))
                .header("Authorization", "Bearer " + EmbeddedServicesResource.ADMIN_KEY)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
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
                long[] first = { -1 };
                long t1 = System.nanoTime();
                engineThreads.call(() -> engine.generate(GenerationRequest.builder().setPrompt("Hello").setMaxTokens(16)
                        .optTemperature(0).build(), (text, logprobs) -> {
                            if (first[0] < 0) {
                                first[0] = System.nanoTime() - t1;
                            }
                        }));
                ttft[i] = first[0];
            }
        }
        Arrays.sort(ttfb);
        Arrays.sort(ttft);
        System.out.printf("%nStreaming, 16 tokens, 1 client, %d requests (load average %s):%n", rounds, loadAverage());
        System.out.printf("| HTTP time to first byte | p50 %.2f ms | p99 %.2f ms |%n", ttfb[rounds / 2] / 1e6,
                ttfb[rounds * 99 / 100] / 1e6);
        System.out.printf("| engine time to first token (in-process, engine thread) | p50 %.2f ms | p99 %.2f ms |%n",
                ttft[rounds / 2] / 1e6, ttft[rounds * 99 / 100] / 1e6);
    }

    private static void row(String what, Result r) {
        System.out.printf("| %s | %.2f | %.2f |%n", what, r.p50Ms(), r.p99Ms());
    }

    private static String loadAverage() {
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).split(" ")[0];
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }

    private record Result(double p50Ms, double p99Ms, double perSecond) {
    }

    private static Result measure(Callable<Void> call, int clients, int perClient) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            List<Future<long[]>> futures = new ArrayList<>();
            long start = System.nanoTime();
            for (int c = 0; c < clients; c++) {
                futures.add(pool.submit(() -> {
                    long[] t = new long[perClient];
                    for (int i = 0; i < perClient; i++) {
                        long t0 = System.nanoTime();
                        call.call();
                        t[i] = System.nanoTime() - t0;
                    }
                    return t;
                }));
            }
            long[] all = new long[clients * perClient];
            int k = 0;
            for (Future<long[]> f : futures) {
                for (long v : f.get()) {
                    all[k++] = v;
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            Arrays.sort(all);
            return new Result(all[all.length / 2] / 1e6, all[(int) (all.length * 0.99)] / 1e6, all.length / seconds);
        } finally {
            pool.shutdown();
        }
    }
}
