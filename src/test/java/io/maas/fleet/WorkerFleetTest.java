package io.maas.fleet;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import com.sun.net.httpserver.HttpServer;

import io.maas.billing.metering.UsageEvent;
import io.maas.billing.usage.UsageConsumer;
import io.maas.billing.usage.UsageRecord;
import io.maas.gateway.routing.AffinityRouter;
import io.maas.gateway.routing.WorkerFleet;
import io.maas.testing.EmbeddedServicesResource;
import io.maas.testing.KafkaTestClient;
import io.maas.testing.RecordingSpanExporter;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;

/**
 * The gateway → HTTP → worker path inside one application: the fleet points at this app's own internal API, so
 * generation crosses a real HTTP stream, and must answer and meter exactly as the local path does.
 */
@QuarkusTest
@QuarkusTestResource(value = EmbeddedServicesResource.class, restrictToAnnotatedClass = false)
class WorkerFleetTest {
    private static final String ADMIN = "Bearer " + EmbeddedServicesResource.ADMIN_KEY;
    private static final String SECRET = "test-fleet-secret";
    private static final String ADAPTER = "demo-tiny-lora";
    private static final Duration BILLING_WAIT = Duration.ofSeconds(30);

    @Inject
    WorkerFleet fleet;
    @Inject
    RecordingSpanExporter spans;
    @TestHTTPResource("/")
    URL self;
    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    private final List<HttpServer> fakes = new ArrayList<>();
    private final java.util.Map<HttpServer, String> fakeUrls = new java.util.HashMap<>();

    @AfterEach
    void backToLocal() {
        fleet.useWorkers(List.of());
        fakes.forEach(s -> s.stop(0));
    }

    private String selfUrl() {
        return "http://127.0.0.1:" + self.getPort();
    }

    private static Response complete(String model, boolean stream) {
        return given().header("Authorization", ADMIN).contentType(ContentType.JSON)
                .body("{\"model\":\"" + model + "\",\"prompt\":\"Once upon a time\",\"max_tokens\":10,"
                        + "\"temperature\":0,\"stream\":" + stream
                        + (stream ? ",\"stream_options\":{\"include_usage\":true}" : "") + "}")
                .post("/v1/completions");
    }

    @Test
    void theRemotePathAnswersAndMetersExactlyAsTheLocalOne() {
        for (String model : List.of("demo-tiny", "demo-tiny:" + ADAPTER)) {
            Response local = complete(model, false).then().statusCode(200).extract().response();

            fleet.useWorkers(List.of(selfUrl()));
            assertEquals(List.of(selfUrl()), fleet.liveWorkers(), "the app's own internal API answers the status poll");
            Response remote = complete(model, false).then().statusCode(200).extract().response();
            fleet.useWorkers(List.of());

            assertEquals(local.<String>path("choices[0].text"), remote.path("choices[0].text"), model);
            assertEquals(local.<String>path("choices[0].finish_reason"), remote.path("choices[0].finish_reason"));
            assertEquals(local.<Integer>path("usage.prompt_tokens"), remote.path("usage.prompt_tokens"));
            assertEquals(local.<Integer>path("usage.completion_tokens"), remote.path("usage.completion_tokens"));

            UUID eventId = eventIdOf(remote.path("id"));
            UsageRecord row = await().atMost(BILLING_WAIT).until(() -> findRecord(eventId), r -> r != null);
            assertEquals((int) remote.path("usage.prompt_tokens"), row.tokensPrompt);
            assertEquals((int) remote.path("usage.completion_tokens"), row.tokensCompletion);
            assertEquals("completed", row.status);
            assertEquals(model.contains(":") ? ADAPTER : null, row.adapter);
            long events = KafkaTestClient.readAll(bootstrap, UsageEvent.TOPIC, Integer.MAX_VALUE, Duration.ofSeconds(3))
                    .stream().filter(r -> r.value().contains(eventId.toString())).count();
            assertEquals(1, events, "one usage event per request, published by the gateway only");
        }
    }

    @Test
    void aStreamCrossesTheWorkerDeltaByDelta() {
        String local = complete("demo-tiny", true).then().statusCode(200).extract().asString();
        fleet.useWorkers(List.of(selfUrl()));
        String remote = complete("demo-tiny", true).then().statusCode(200).extract().asString();
        assertEquals(texts(local), texts(remote));
        assertTrue(texts(remote).size() > 1, "several deltas, streamed: " + remote);
        assertTrue(remote.contains("\"completion_tokens\":10") || remote.contains("\"finish_reason\":\"stop\""),
                remote);
        assertEquals(usageLine(local), usageLine(remote));
        assertTrue(remote.trim().endsWith("data: [DONE]"));
    }

    @Test
    void oneTraceRunsFromTheGatewayThroughTheWorkerAndKafkaToTheBillingConsumer() {
        fleet.useWorkers(List.of(selfUrl()));
        Response response = complete("demo-tiny:" + ADAPTER, false).then().statusCode(200).extract().response();
        UUID eventId = eventIdOf(response.path("id"));

        // The billing consumer's span for this request's usage record (found by its event id).
        SpanData consumer = await().atMost(BILLING_WAIT).until(() -> spans.find(s -> s.getName()
                .equals(UsageConsumer.SPAN_NAME) && eventId.toString().equals(
                        s.getAttributes().get(AttributeKey.stringKey("maas.usage.event_id")))), l -> !l.isEmpty()).get(0);
        String traceId = consumer.getTraceId();
        List<SpanData> trace = spans.find(s -> s.getTraceId().equals(traceId));
        SpanData gateway = only(trace, s -> s.getKind() == SpanKind.SERVER && s.getName().contains("/v1/completions"));
        SpanData call = only(trace, s -> s.getName().equals("maas.fleet.generate"));
        SpanData worker = only(trace, s -> s.getKind() == SpanKind.SERVER
                && s.getName().contains(FleetWire.GENERATE_PATH));
        assertEquals(gateway.getSpanId(), call.getParentSpanId(), "the worker call is a child of the gateway request");
        assertEquals(call.getSpanId(), worker.getParentSpanId(),
                "the worker continued the traceparent it was sent: " + trace);
        assertEquals(gateway.getSpanId(), consumer.getParentSpanId(),
                "the consumer continued the usage record's trace context (its traceparent header)");
        assertEquals(SpanKind.CONSUMER, consumer.getKind());
    }

    private static SpanData only(List<SpanData> spans, java.util.function.Predicate<SpanData> filter) {
        List<SpanData> found = spans.stream().filter(filter).toList();
        assertEquals(1, found.size(), "one matching span in " + spans);
        return found.get(0);
    }

    @Test
    void adminsSeeTheFleetAndMetricsMoveWithRouting() {
        complete("demo-tiny:" + ADAPTER, false).then().statusCode(200); // loads the adapter in this app's engine
        String before = scrape();
        fleet.useWorkers(List.of(selfUrl()));
        given().header("Authorization", ADMIN).get("/admin/fleet").then().statusCode(200)
                .body("enabled", equalTo(true))
                .body("workers[0].url", equalTo(selfUrl()))
                .body("workers[0].state", equalTo("live"))
                .body("workers[0].models", hasItem("demo-tiny"))
                .body("workers[0].adapters.'demo-tiny'", hasItem(ADAPTER))
                .body("workers[0].draining", equalTo(false))
                .body("workers[0].queued", equalTo(0));
        for (int i = 0; i < 2; i++) {
            complete("demo-tiny:" + ADAPTER, false).then().statusCode(200);
        }
        String after = scrape();
        assertEquals(1.0, sample(after, "maas_fleet_workers", java.util.Map.of("state", "live")), 0.0, after);
        assertEquals(0.0, sample(after, "maas_fleet_workers", java.util.Map.of("state", "down")), 0.0);
        assertEquals(2.0, sample(after, "maas_fleet_routed_total", java.util.Map.of())
                - zeroIfMissing(sample(before, "maas_fleet_routed_total", java.util.Map.of())), 0.0,
                "both requests placed on a worker");
        for (String perWorker : List.of("maas_fleet_worker_queue_depth", "maas_fleet_worker_running",
                "maas_fleet_worker_in_flight")) {
            assertFalse(Double.isNaN(sample(after, perWorker, java.util.Map.of("worker", selfUrl()))),
                    perWorker + " for " + selfUrl());
        }
        for (String workerSide : List.of("maas_fleet_internal_in_flight", "maas_fleet_internal_draining",
                "maas_scheduler_queue_depth", "maas_scheduler_running", "maas_adapters_resident")) {
            assertFalse(Double.isNaN(sample(after, workerSide, java.util.Map.of())), workerSide);
        }
        fleet.useWorkers(List.of());
        assertTrue(Double.isNaN(sample(scrape(), "maas_fleet_worker_queue_depth", java.util.Map.of("worker", selfUrl()))),
                "a worker no longer configured leaves no series behind");
    }

    @Test
    void aWorkerReportingTheAdapterResidentIsPreferredOverTheRingsHome() throws IOException {
        complete("demo-tiny:" + ADAPTER, false).then().statusCode(200); // resident here
        String key = "demo-tiny:" + ADAPTER;
        AtomicInteger calls = new AtomicInteger();
        HttpServer home = fakeHomeOf(key); // serves demo-tiny with no adapter resident
        home.createContext(FleetWire.GENERATE_PATH, exchange -> {
            calls.incrementAndGet();
            exchange.sendResponseHeaders(500, -1);
            exchange.close();
        });
        fleet.useWorkers(List.of(urlOf(home), selfUrl()));
        assertEquals(urlOf(home), fleet.home(key).orElseThrow());
        long resident = fleet.routingCounts().get("resident");
        complete(key, false).then().statusCode(200);
        assertEquals(0, calls.get(), "the request went to the worker with the adapter resident, not to the home");
        assertEquals(resident + 1, fleet.routingCounts().get("resident"));
        assertEquals(List.of(urlOf(home), selfUrl()).stream().sorted().toList(), fleet.liveWorkers(),
                "nobody failed");
    }

    private static String scrape() {
        return given().get("/q/metrics").then().statusCode(200).extract().asString();
    }

    private static double zeroIfMissing(double v) {
        return Double.isNaN(v) ? 0 : v;
    }

    /** Sum of the samples of {@code name} whose labels include every given label (NaN when none). */
    private static double sample(String text, String name, java.util.Map<String, String> labels) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("^" + java.util.regex.Pattern.quote(name)
                + "(\\{[^}]*\\})?\\s+(\\S+)(?:\\s+#.*)?$", java.util.regex.Pattern.MULTILINE).matcher(text);
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

    @Test
    void aWorkerThatDiesAfterItsPollIsRetriedOnAnother() throws IOException {
        // A worker that answers its status poll (so it is on the ring), then dies before the request reaches it.
        HttpServer dead = fakeHomeOf("demo-tiny");
        String deadUrl = urlOf(dead);
        fleet.useWorkers(List.of(deadUrl, selfUrl()));
        assertEquals(2, fleet.liveWorkers().size(), "both answered the poll");
        assertEquals(deadUrl, fleet.home("demo-tiny").orElseThrow());
        dead.stop(0);

        long retries = fleet.routingCounts().get("retries");
        Response response = complete("demo-tiny", false).then().statusCode(200).extract().response();
        assertFalse(fleet.liveWorkers().contains(deadUrl), "the failed worker left the ring");
        assertEquals(retries + 1, fleet.routingCounts().get("retries"), "one retry, counted");
        assertEquals(1.0, sample(scrape(), "maas_fleet_workers", java.util.Map.of("state", "down")), 0.0);
        UUID eventId = eventIdOf(response.path("id"));
        UsageRecord row = await().atMost(BILLING_WAIT).until(() -> findRecord(eventId), r -> r != null);
        assertEquals((int) response.path("usage.completion_tokens"), row.tokensCompletion);
    }

    @Test
    void aWholeResponseWhoseWorkerDiesMidGenerationIsRestartedOnAnotherAndMeteredOnce() throws IOException {
        // The home streams three deltas, then its process dies (the connection drops without the last chunk). Nothing
        // reached the client (a whole response relays nothing before its result): the request starts over elsewhere.
        AtomicInteger calls = new AtomicInteger();
        HttpServer dying = fakeHomeOf("demo-tiny");
        dying.createContext(FleetWire.GENERATE_PATH, dropsAfter(calls, delta("lost "), delta("text "), delta("here")));
        Response local = complete("demo-tiny", false).then().statusCode(200).extract().response();
        fleet.useWorkers(List.of(urlOf(dying), selfUrl()));
        long retries = fleet.routingCounts().get("retries");

        Response response = complete("demo-tiny", false).then().statusCode(200).extract().response();
        assertEquals(1, calls.get(), "the dying worker got the request first (its home)");
        assertEquals(retries + 1, fleet.routingCounts().get("retries"));
        assertEquals(local.<String>path("choices[0].text"), response.path("choices[0].text"),
                "only the second attempt's text, generated from scratch");
        assertEquals(local.<Integer>path("usage.completion_tokens"), response.path("usage.completion_tokens"));
        assertFalse(fleet.liveWorkers().contains(urlOf(dying)), "the lost worker left the ring");
        UUID eventId = eventIdOf(response.path("id"));
        UsageRecord row = await().atMost(BILLING_WAIT).until(() -> findRecord(eventId), r -> r != null);
        assertEquals("completed", row.status);
        assertEquals((int) response.path("usage.completion_tokens"), row.tokensCompletion,
                "metered once, with the successful attempt's tokens only");
    }

    @Test
    void aStreamWhoseWorkerDiesBeforeAnyTextReachedTheClientIsRestartedOnAnother() throws IOException {
        // Only an empty delta (nothing to relay) before the drop: the client has seen nothing of this attempt.
        AtomicInteger calls = new AtomicInteger();
        HttpServer dying = fakeHomeOf("demo-tiny");
        dying.createContext(FleetWire.GENERATE_PATH, dropsAfter(calls, "{}"));
        String local = complete("demo-tiny", true).then().statusCode(200).extract().asString();
        fleet.useWorkers(List.of(urlOf(dying), selfUrl()));

        String remote = complete("demo-tiny", true).then().statusCode(200).extract().asString();
        assertEquals(1, calls.get());
        assertFalse(remote.contains("\"error\""), remote);
        assertEquals(texts(local), texts(remote), "the stream as one attempt made it");
        assertEquals(usageLine(local), usageLine(remote));
        assertTrue(remote.trim().endsWith("data: [DONE]"), remote);
    }

    @Test
    void aStreamWhoseWorkerDiesAfterTextReachedTheClientEndsWithAnErrorEventAndDone() throws IOException {
        AtomicInteger calls = new AtomicInteger();
        // The worker dies only once the client has read the first text (a drop right after writing may reach the
        // gateway as a reset before the lines, which is then rightly a failure before anything was relayed).
        java.util.concurrent.CountDownLatch clientSawText = new java.util.concurrent.CountDownLatch(1);
        HttpServer dying = fakeHomeOf("demo-tiny");
        dying.createContext(FleetWire.GENERATE_PATH, dropsAfter(calls, clientSawText, delta("already "), delta("sent")));
        fleet.useWorkers(List.of(urlOf(dying), selfUrl()));
        long retries = fleet.routingCounts().get("retries");

        java.net.http.HttpResponse<java.util.stream.Stream<String>> streamed;
        try {
            streamed = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create(selfUrl() + "/v1/completions")).header("Authorization", ADMIN)
                    .header("Content-Type", "application/json").timeout(Duration.ofSeconds(60))
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"model\":\"demo-tiny\",\"prompt\":"
                            + "\"Once upon a time\",\"max_tokens\":10,\"temperature\":0,\"stream\":true}")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofLines());
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        assertEquals(200, streamed.statusCode());
        StringBuilder all = new StringBuilder();
        streamed.body().forEach(line -> {
            all.append(line).append('\n');
            if (line.contains("\"text\":\"already \"")) {
                clientSawText.countDown();
            }
        });
        String body = all.toString();
        assertEquals(1, calls.get());
        assertEquals(retries, fleet.routingCounts().get("retries"), "text reached the client: never restarted");
        assertEquals(List.of("\"text\":\"already \"", "\"text\":\"sent\""), texts(body));
        assertTrue(body.contains("data: {\"error\":{") && body.contains("\"type\":\"server_error\""), body);
        assertTrue(body.trim().endsWith("data: [DONE]"), "the stream ends cleanly, not dropped: " + body);
        java.util.regex.Matcher id = java.util.regex.Pattern.compile("\"id\":\"(cmpl-[0-9a-f]+)\"").matcher(body);
        assertTrue(id.find(), body);
        UUID eventId = eventIdOf(id.group(1));
        UsageRecord row = await().atMost(BILLING_WAIT).until(() -> findRecord(eventId), r -> r != null);
        assertEquals("failed", row.status, "metered once, as failed");
    }

    @Test
    void aWholeResponseFailingOnEveryWorkerIsAnOpenAiErrorNotADroppedConnection() throws IOException {
        AtomicInteger calls = new AtomicInteger();
        HttpServer dying = fakeWorker();
        dying.createContext(FleetWire.GENERATE_PATH, dropsAfter(calls, delta("lost")));
        fleet.useWorkers(List.of(urlOf(dying)));
        complete("demo-tiny", false).then().statusCode(503).contentType(ContentType.JSON)
                .body("error.code", equalTo("no_worker_available"));
        assertEquals(1, calls.get());
    }

    private static String delta(String text) {
        return new String(FleetWire.write(FleetWire.Line.delta(text, List.of())), StandardCharsets.UTF_8);
    }

    /** A generate handler that answers 200 and {@code lines}, then drops the connection as a killed process does. */
    private static com.sun.net.httpserver.HttpHandler dropsAfter(AtomicInteger calls, String... lines) {
        return dropsAfter(calls, new java.util.concurrent.CountDownLatch(0), lines);
    }

    /** As {@link #dropsAfter(AtomicInteger, String...)}, dropping only once {@code dropWhen} is open. */
    private static com.sun.net.httpserver.HttpHandler dropsAfter(AtomicInteger calls,
            java.util.concurrent.CountDownLatch dropWhen, String... lines) {
        return exchange -> {
            calls.incrementAndGet();
            exchange.getRequestBody().readAllBytes();
            exchange.getResponseHeaders().add("Content-Type", FleetWire.NDJSON);
            exchange.sendResponseHeaders(200, 0);
            java.io.OutputStream out = exchange.getResponseBody();
            for (String line : lines) {
                out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
            }
            try {
                dropWhen.await(30, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            // Throwing makes the JDK server close the socket without the terminating chunk: a lost worker.
            throw new IOException("worker killed mid-stream (test)");
        };
    }

    @Test
    void embeddingsCrossToAWorkerThatReportsTheModelAndAnswerAsLocally() {
        String body = "{\"model\":\"" + EmbeddedServicesResource.EMBEDDING_MODEL
                + "\",\"input\":[\"hello world\",\"a second, longer input\"]}";
        Response local = embed(body).then().statusCode(200).extract().response();
        fleet.useWorkers(List.of(selfUrl()));
        assertTrue(fleet.embeddingModels().contains(EmbeddedServicesResource.EMBEDDING_MODEL),
                "the worker reports its embedding models: " + fleet.statuses());
        long placed = placedSoFar();

        Response remote = embed(body).then().statusCode(200).extract().response();
        assertEquals(placed + 1, placedSoFar(), "the call went to the worker over the internal API");
        assertEquals(local.<List<Float>>path("data[0].embedding"), remote.<List<Float>>path("data[0].embedding"));
        assertEquals(local.<List<Float>>path("data[1].embedding"), remote.<List<Float>>path("data[1].embedding"));
        assertEquals(local.<Integer>path("usage.prompt_tokens"), remote.<Integer>path("usage.prompt_tokens"));
        given().header(FleetWire.TOKEN_HEADER, SECRET).contentType(ContentType.JSON)
                .body("{\"model\":\"no-such-model\",\"inputs\":[\"x\"]}").post(FleetWire.EMBEDDINGS_PATH)
                .then().statusCode(404);
    }

    @Test
    void aGatewayWithoutTheModelEmbedsOnTheWorkerThatReportsIt() throws IOException {
        // As role gateway: this process has no model of that id; only the worker's status names it.
        java.util.concurrent.atomic.AtomicReference<String> token = new java.util.concurrent.atomic.AtomicReference<>();
        HttpServer worker = fakeWorker(List.of("fake-embed"));
        worker.createContext(FleetWire.EMBEDDINGS_PATH, exchange -> {
            token.set(exchange.getRequestHeaders().getFirst(FleetWire.TOKEN_HEADER));
            FleetWire.EmbedWork work = FleetWire.JSON.readValue(exchange.getRequestBody(), FleetWire.EmbedWork.class);
            List<FleetWire.Vector> data = work.inputs().stream()
                    .map(in -> new FleetWire.Vector(new float[] { in.length(), -0.5f }, 3)).toList();
            byte[] answer = FleetWire.write(new FleetWire.Embedded(data));
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, answer.length);
            exchange.getResponseBody().write(answer);
            exchange.close();
        });
        String body = "{\"model\":\"fake-embed\",\"input\":[\"four\",\"seven77\"]}";
        embed(body).then().statusCode(404).body("error.code", equalTo("model_not_found"));
        fleet.useWorkers(List.of(urlOf(worker)));

        embed(body).then().statusCode(200).body("model", equalTo("fake-embed"))
                .body("data[0].embedding", equalTo(List.of(4.0f, -0.5f)))
                .body("data[1].embedding", equalTo(List.of(7.0f, -0.5f)))
                .body("usage.prompt_tokens", equalTo(6));
        assertEquals(SECRET, token.get(), "the internal call carries the shared secret");
        given().header("Authorization", ADMIN).get("/v1/models").then().statusCode(200)
                .body("data.id", hasItem("fake-embed"));
        given().header("Authorization", ADMIN).get("/v1/models/fake-embed").then().statusCode(200);
    }

    private static Response embed(String body) {
        return given().header("Authorization", ADMIN).contentType(ContentType.JSON).body(body).post("/v1/embeddings");
    }

    private long placedSoFar() {
        java.util.Map<String, Long> counts = fleet.routingCounts();
        return counts.get("home") + counts.get("resident") + counts.get("spill");
    }

    @Test
    void aWorkerThatRefusesEveryCallLeavesNoRequestUnserved() throws IOException {
        // Answers polls but fails every generate with 500 before streaming: the request moves to the next worker.
        AtomicInteger calls = new AtomicInteger();
        HttpServer broken = fakeHomeOf("demo-tiny");
        broken.createContext(FleetWire.GENERATE_PATH, exchange -> {
            calls.incrementAndGet();
            exchange.sendResponseHeaders(500, -1);
            exchange.close();
        });
        String brokenUrl = urlOf(broken);
        fleet.useWorkers(List.of(brokenUrl, selfUrl()));
        for (String model : List.of("demo-tiny", "demo-tiny:" + ADAPTER)) {
            complete(model, false).then().statusCode(200);
        }
        assertEquals(1, calls.get(), "tried once as demo-tiny's home, then off the ring");
        assertEquals(List.of(selfUrl()), fleet.liveWorkers());
    }

    @Test
    void withNoLiveWorkerGenerationIsA503() throws IOException {
        HttpServer gone = fakeWorker();
        String url = "http://127.0.0.1:" + gone.getAddress().getPort();
        gone.stop(0);
        fleet.useWorkers(List.of(url));
        complete("demo-tiny", false).then().statusCode(503).body("error.code", equalTo("no_worker_available"));
    }

    @Test
    void theInternalApiNeedsTheSharedSecret() {
        given().get("/internal/v1/status").then().statusCode(401);
        given().header(FleetWire.TOKEN_HEADER, "wrong").get("/internal/v1/status").then().statusCode(401);
        // During a rotation the previous secret is accepted too (maas.fleet.internal-token-previous), by every
        // internal endpoint; gateways send the current one (the other tests' calls).
        given().header(FleetWire.TOKEN_HEADER, "test-fleet-secret-old").get("/internal/v1/status").then()
                .statusCode(200);
        given().header(FleetWire.TOKEN_HEADER, "test-fleet-secret-old").contentType(ContentType.JSON)
                .body("{\"model\":\"" + EmbeddedServicesResource.EMBEDDING_MODEL + "\",\"inputs\":[\"x\"]}")
                .post(FleetWire.EMBEDDINGS_PATH).then().statusCode(200).body("data[0].tokens", org.hamcrest.Matchers.greaterThan(0));
        given().header(FleetWire.TOKEN_HEADER, "test-fleet-secret-ol").get("/internal/v1/status").then()
                .statusCode(401);
        given().header(FleetWire.TOKEN_HEADER, SECRET).get("/internal/v1/status").then().statusCode(200)
                .body("models", hasItem("demo-tiny")).body("draining", equalTo(false));
        String lines = given().header(FleetWire.TOKEN_HEADER, SECRET).contentType(ContentType.JSON)
                .body("{\"request_id\":\"r1\",\"model\":\"demo-tiny\",\"prompt\":\"Hello\",\"max_tokens\":4,"
                        + "\"temperature\":0,\"top_p\":1}")
                .post("/internal/v1/generate").then().statusCode(200).extract().asString();
        String[] split = lines.trim().split("\n");
        assertTrue(split[split.length - 1].contains("\"finish_reason\""), lines);
        assertTrue(split[split.length - 1].contains("\"completion_tokens\":"), lines);
        given().header(FleetWire.TOKEN_HEADER, SECRET).contentType(ContentType.JSON)
                .body("{\"model\":\"no-such-model\",\"prompt\":\"Hello\",\"max_tokens\":4,\"top_p\":1}")
                .post("/internal/v1/generate").then().statusCode(404);
    }

    /** A fake worker whose URL is {@code key}'s home on a ring of it and this app. */
    private HttpServer fakeHomeOf(String key) throws IOException {
        // Whether a URL is a key's home depends on where this app's own ring points fall, and for some test ports
        // almost no other port wins: vary the loopback address (all of 127/8 reaches a wildcard-bound server)
        // rather than the port, so a home URL is always found.
        HttpServer candidate = fakeWorker();
        int port = candidate.getAddress().getPort();
        AffinityRouter ring = new AffinityRouter();
        for (int i = 1; i < 65_536; i++) {
            String url = "http://127.0." + (i >> 8) + "." + (i & 0xff) + ":" + port;
            if (url.equals(selfUrl())) {
                continue;
            }
            ring.setWorkers(List.of(url, selfUrl()));
            if (ring.home(key).orElseThrow().equals(url)) {
                fakeUrls.put(candidate, url);
                return candidate;
            }
        }
        throw new AssertionError("no loopback address whose worker is the home of " + key);
    }

    private String urlOf(HttpServer server) {
        return fakeUrls.getOrDefault(server, "http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** A process that answers the status poll as a worker serving demo-tiny. */
    private HttpServer fakeWorker() throws IOException {
        return fakeWorker(List.of());
    }

    /** A process that answers the status poll as a worker serving demo-tiny and {@code embeddingModels}. */
    private HttpServer fakeWorker(List<String> embeddingModels) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(0), 0);
        byte[] status = FleetWire.write(new FleetWire.Status("worker", List.of("demo-tiny"),
                java.util.Map.of("demo-tiny", List.of()), 0, 0, 0, false, embeddingModels));
        server.createContext(FleetWire.STATUS_PATH, exchange -> {
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, status.length);
            exchange.getResponseBody().write(status);
            exchange.close();
        });
        server.start();
        fakes.add(server);
        return server;
    }

    private static List<String> texts(String sse) {
        List<String> out = new ArrayList<>();
        for (String line : sse.split("\n")) {
            int at = line.indexOf("\"text\":\"");
            if (line.startsWith("data: {") && at >= 0) {
                out.add(line.substring(at, line.indexOf('"', at + 8) + 1));
            }
        }
        return out;
    }

    private static String usageLine(String sse) {
        for (String line : sse.split("\n")) {
            int at = line.indexOf("\"usage\":{");
            if (at >= 0 && !line.contains("\"usage\":null")) {
                return line.substring(at, line.indexOf('}', at) + 1);
            }
        }
        return null;
    }

    private static UsageRecord findRecord(UUID eventId) {
        return QuarkusTransaction.requiringNew().call(() -> UsageRecord.<UsageRecord>findById(eventId));
    }

    private static UUID eventIdOf(String completionId) {
        String hex = completionId.substring("cmpl-".length());
        return UUID.fromString(hex.replaceFirst("(\\w{8})(\\w{4})(\\w{4})(\\w{4})(\\w{12})", "$1-$2-$3-$4-$5"));
    }
}
