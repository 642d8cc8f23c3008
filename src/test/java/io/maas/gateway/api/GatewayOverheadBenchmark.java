package io.maas.gateway.api;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.maas.gateway.inference.ModelRegistry;
import io.maas.inference.engine.GenerationRequest;
import io.maas.inference.engine.LlamaEngine;
import io.maas.testing.EmbeddedServicesResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

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

    @Inject
    ModelRegistry models;

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
        measure(viaHttp, 1, 50); // warm-up
        measure(inProcess, 1, 50);
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
