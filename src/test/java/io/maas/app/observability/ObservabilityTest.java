package io.maas.app.observability;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItems;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.maas.testing.Api;
import io.maas.testing.EmbeddedServicesResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;

/** Metrics at /q/metrics move with traffic, health reports ready with its checks, slow requests are logged. */
@QuarkusTest
@QuarkusTestResource(value = EmbeddedServicesResource.class, restrictToAnnotatedClass = false)
class ObservabilityTest {
    private static final String ADAPTER = "demo-tiny-lora";

    @Inject
    RequestTimelines timelines;

    private static String scrape() {
        return given().get("/q/metrics").then().statusCode(200).extract().asString();
    }

    /** Sum of the samples of {@code name} whose labels include every given label. */
    static double sample(String text, String name, Map<String, String> labels) {
        Pattern line = Pattern.compile("^" + Pattern.quote(name) + "(\\{[^}]*\\})?\\s+(\\S+)(?:\\s+#.*)?$", Pattern.MULTILINE);
        Matcher m = line.matcher(text);
        double sum = 0;
        boolean found = false;
        while (m.find()) {
            String l = m.group(1) == null ? "" : m.group(1);
            if (labels.entrySet().stream().allMatch(e -> l.contains(e.getKey() + "=\"" + e.getValue() + "\""))) {
                sum += Double.parseDouble(m.group(2));
                found = true;
            }
        }
        return found ? sum : Double.NaN;
    }

    private static Response complete(String key, String model, boolean stream) {
        return Api.as(key).body(Map.of("model", model, "prompt", "Once upon a time", "max_tokens", 6,
                "temperature", 0, "stream", stream)).post("/v1/completions");
    }

    @Test
    void metricNamesArePresent() {
        String text = scrape();
        for (String name : List.of("maas_engine_queue_depth", "maas_engine_active", "maas_models_loaded",
                "maas_adapters_resident", "maas_adapter_cache_hits_total", "maas_adapter_cache_loads_total",
                "maas_adapter_cache_evictions_total", "maas_metering_queue_depth", "maas_metering_spool_entries",
                "maas_metering_spool_bytes", "maas_metering_publish_failures", "maas_metering_publish_latency_seconds_count",
                "maas_billing_events_rated_total", "maas_billing_events_duplicate_total", "maas_billing_batches_total",
                "maas_billing_events_dead_lettered_total", "maas_billing_consumer_lag", "maas_requests_open",
                "maas_scheduler_queue_depth", "maas_scheduler_running")) {
            assertFalse(Double.isNaN(sample(text, name, Map.of())), name + " missing from /q/metrics");
        }
        assertEquals(1.0, sample(text, "maas_models_loaded", Map.of()), 0.0, "the demo model is loaded");
    }

    @Test
    void requestTokenAndLatencyMetricsMoveWithACompletion() {
        String before = scrape();
        double completionTokens = zeroIfMissing(sample(before, "maas_tokens_total",
                Map.of("model", "demo-tiny", "kind", "completion")));
        double requests = zeroIfMissing(sample(before, "maas_request_duration_seconds_count",
                Map.of("endpoint", "/v1/completions", "model", "demo-tiny", "status", "completed")));
        double ttft = zeroIfMissing(sample(before, "maas_request_ttft_seconds_count", Map.of("model", "demo-tiny")));
        double http = zeroIfMissing(sample(before, "http_server_requests_seconds_count", Map.of("uri", "/v1/completions")));

        int generated = complete(Api.ADMIN_KEY, "demo-tiny", false).then().statusCode(200).extract()
                .path("usage.completion_tokens");
        complete(Api.ADMIN_KEY, "demo-tiny", true).then().statusCode(200);

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            String after = scrape();
            assertTrue(sample(after, "maas_tokens_total", Map.of("model", "demo-tiny", "kind", "completion"))
                    >= completionTokens + generated + 1, "completion tokens counted");
            // At least: a request left over from another test may finish meanwhile.
            assertTrue(sample(after, "maas_request_duration_seconds_count", Map.of("endpoint", "/v1/completions",
                    "model", "demo-tiny", "status", "completed")) >= requests + 2, "both requests timed");
            assertTrue(sample(after, "maas_request_ttft_seconds_count", Map.of("model", "demo-tiny")) >= ttft + 2);
            assertTrue(sample(after, "http_server_requests_seconds_count", Map.of("uri", "/v1/completions")) >= http + 2);
            assertTrue(sample(after, "maas_metering_published", Map.of()) > 0, "usage events published");
            assertEquals(0.0, sample(after, "maas_requests_open", Map.of()), 0.0, "every timeline closed");
        });
    }

    @Test
    void adapterRequestsCountAsCacheLoadsOrHits() {
        String before = scrape();
        double used = zeroIfMissing(sample(before, "maas_adapter_cache_hits_total", Map.of()))
                + zeroIfMissing(sample(before, "maas_adapter_cache_loads_total", Map.of()));
        complete(Api.ADMIN_KEY, ADAPTER, false).then().statusCode(200);
        complete(Api.ADMIN_KEY, ADAPTER, false).then().statusCode(200);
        String after = scrape();
        assertTrue(sample(after, "maas_adapter_cache_hits_total", Map.of())
                + sample(after, "maas_adapter_cache_loads_total", Map.of()) >= used + 2, "each request looked its adapter up");
        assertTrue(sample(after, "maas_adapter_cache_hits_total", Map.of()) >= 1, "the second request finds it resident");
        assertTrue(sample(after, "maas_adapters_resident", Map.of("model", "demo-tiny")) >= 1);
    }

    @Test
    void billingConsumerMetricsMoveAsUsageIsRated() {
        double rated = zeroIfMissing(sample(scrape(), "maas_billing_events_rated_total", Map.of()));
        complete(Api.ADMIN_KEY, "demo-tiny", false).then().statusCode(200);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            String after = scrape();
            assertTrue(sample(after, "maas_billing_events_rated_total", Map.of()) >= rated + 1);
        });
        // Lag is measured against the broker: a number, not the "Kafka did not answer" -1.
        await().atMost(Duration.ofSeconds(20))
                .untilAsserted(() -> assertTrue(sample(scrape(), "maas_billing_consumer_lag", Map.of()) >= 0));
    }

    @Test
    void metricsCarryNoTenantOrKeyIdentifiers() {
        String tenant = Api.newTenant("metrics-privacy");
        String key = Api.newKey(tenant, "tenant-member");
        complete(key, "demo-tiny", false).then().statusCode(200);
        String text = scrape();
        assertFalse(text.contains(tenant), "tenant ids must not become metric labels");
        assertFalse(text.contains(key.substring(0, 12)), "key material must not appear");
    }

    @Test
    void healthIsLiveAndReadyWithModelsDatabaseAndKafka() {
        given().get("/q/health/live").then().statusCode(200).body("status", equalTo("UP"));
        given().get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"))
                .body("checks.name", hasItems("models", "kafka"))
                .body("checks.find { it.name == 'models' }.data.loaded", equalTo("demo-tiny"));
        String ready = given().get("/q/health/ready").then().extract().asString();
        assertTrue(ready.toLowerCase().contains("database"), "the datasource check is part of readiness: " + ready);
    }

    @Test
    void aSlowRequestIsLoggedWithItsTimingBreakdown() {
        List<String> lines = new CopyOnWriteArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord record) {
                lines.add(record.getMessage());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        java.util.logging.Logger slowLog = java.util.logging.Logger.getLogger(RequestTimelines.SLOW_LOG);
        Duration threshold = timelines.slowRequestThreshold();
        slowLog.addHandler(capture);
        try {
            timelines.setSlowRequestThreshold(Duration.ofMinutes(5));
            complete(Api.ADMIN_KEY, "demo-tiny", false).then().statusCode(200);
            timelines.setSlowRequestThreshold(Duration.ZERO); // every request is now "slow"
            String id = "slow-" + System.nanoTime();
            complete(Api.ADMIN_KEY, "demo-tiny", false).then().statusCode(200);
            given().header("Authorization", "Bearer " + Api.ADMIN_KEY).header("x-request-id", id)
                    .contentType("application/json")
                    .body("{\"model\":\"demo-tiny\",\"prompt\":\"Hello\",\"max_tokens\":5,\"temperature\":0}")
                    .post("/v1/completions").then().statusCode(200);
            String line = await().atMost(Duration.ofSeconds(5))
                    .until(() -> lines.stream().filter(l -> l.contains(id)).findFirst().orElse(null), l -> l != null);
            for (String part : List.of("POST /v1/completions -> 200", "total=", "auth=", "admission=", "queue=", "ttft=",
                    "decode=", "send=", "model=demo-tiny", "completion_tokens=5", "trace_id=")) {
                assertTrue(line.contains(part), "'" + part + "' in: " + line);
            }
            assertFalse(line.contains("auth=-") || line.contains("queue=-") || line.contains("ttft=-"),
                    "every phase of a completion was reached: " + line);
        } finally {
            timelines.setSlowRequestThreshold(threshold);
            slowLog.removeHandler(capture);
        }
        long before = lines.size();
        complete(Api.ADMIN_KEY, "demo-tiny", false).then().statusCode(200);
        assertEquals(before, lines.size(), "under the threshold nothing is logged");
    }

    private static double zeroIfMissing(double v) {
        return Double.isNaN(v) ? 0 : v;
    }
}
