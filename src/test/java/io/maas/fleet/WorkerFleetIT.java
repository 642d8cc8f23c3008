package io.maas.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.maas.app.embedded.EmbeddedInfrastructure;
import io.maas.app.launch.LaunchSettings;
import io.maas.inference.model.ModelGenerator;
import io.maas.inference.model.ModelShape;
import io.maas.testing.TinyDns;

/**
 * One gateway and two workers as separate JVMs from the packaged {@code quarkus-run.jar} on loopback, sharing one
 * embedded PostgreSQL and Kafka; the gateway finds the workers through DNS SRV records (a loopback DNS server, listing
 * workers once they are ready, as a Kubernetes headless Service does): adapters land with affinity, killing a worker mid-load loses no request that had
 * not started streaming, the ledger's totals equal what the clients were told, and a worker stopped with SIGTERM
 * finishes its running streams before it exits.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WorkerFleetIT {
    private static final Path JAR = Path.of("target", "quarkus-app", "quarkus-run.jar");
    private static final String ADMIN_KEY = "sk-it-admin-0123456789abcdefghijklmn";
    private static final String SECRET = "it-fleet-secret";
    private static final List<String> ADAPTERS = List.of("ad-0", "ad-1", "ad-2", "ad-3", "ad-4", "ad-5");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private static EmbeddedInfrastructure infrastructure;
    private static final List<Process> processes = new ArrayList<>();
    private static final List<String> workerUrls = new ArrayList<>();
    private static final List<Process> workers = new ArrayList<>();
    private static String gateway;
    private static Process gatewayProcess;
    private static TinyDns dns;
    private static final String WORKERS_SRV = "_http._tcp.maas-worker-headless.fleet-it.svc.cluster.local";
    private static HttpResponse<String> gatewayReadyWithoutWorkers;
    private static String billingUrl;

    @BeforeAll
    static void startFleet() throws Exception {
        assumeTrue(Files.exists(JAR), "needs the packaged application (runs after package)");
        Path root = Files.createTempDirectory(Files.createDirectories(Path.of("target").toAbsolutePath()), "fleet-it-");
        Files.createDirectories(root.resolve("infra"));
        infrastructure = EmbeddedInfrastructure.start(LaunchSettings.resolve(
                Map.of(LaunchSettings.ENV_DATA_DIR, root.resolve("infra").toString()), new Properties()));
        Map<String, String> infra = infrastructure.properties();
        Path adapters = Files.createDirectories(root.resolve("adapters"));
        for (int i = 0; i < ADAPTERS.size(); i++) {
            ModelGenerator.writeAdapter(adapters.resolve(ADAPTERS.get(i)), ModelShape.TINY, "demo-tiny", 8, 16.0,
                    Set.copyOf(ModelGenerator.ADAPTER_MODULES), 100 + i, false);
        }
        Map<String, String> common = new HashMap<>();
        common.put("MAAS_DB_URL", infra.get(LaunchSettings.PROP_DB_URL));
        common.put("MAAS_DB_USER", infra.get(LaunchSettings.PROP_DB_USER));
        common.put("MAAS_KAFKA_BOOTSTRAP", infra.get(LaunchSettings.PROP_KAFKA_BOOTSTRAP));
        common.put("MAAS_ADAPTERS_DIR", adapters.toString());
        common.put("MAAS_FLEET_INTERNAL_TOKEN", SECRET);
        // Ports first: the gateway lists the workers before they run.
        List<Integer> workerPorts = List.of(freePort(), freePort());
        workerPorts.forEach(p -> workerUrls.add("http://127.0.0.1:" + p));
        // The gateway starts alone first. That was a workaround for the seed-row race of instances starting at once on
        // an empty database; seeding now takes an advisory lock (PlatformSeed, PlatformSeedTest), so the order no longer
        // matters. Kept: it also lets the gateway's readiness be checked while no worker runs yet.
        int port = freePort();
        Map<String, String> env = new HashMap<>(common);
        env.put("MAAS_ROLE", "gateway");
        env.put("MAAS_BOOTSTRAP_ADMIN_KEY", ADMIN_KEY);
        // Workers are found as in Kubernetes: SRV records of a name that lists only ready workers, re-resolved.
        dns = new TinyDns();
        env.put("MAAS_FLEET_WORKERS_DNS", WORKERS_SRV);
        env.put("MAAS_FLEET_WORKERS_DNS_SERVER", dns.address());
        env.put("MAAS_FLEET_WORKERS_DNS_INTERVAL", "500ms");
        env.put("MAAS_FLEET_POLL_INTERVAL", "500ms");
        gatewayProcess = start(root.resolve("gateway"), port, env);
        gateway = "http://127.0.0.1:" + port;
        // A gateway is live without workers but not ready: it generates nothing itself.
        awaitStatus(gateway + "/q/health/live", 200);
        gatewayReadyWithoutWorkers = HTTP.send(HttpRequest.newBuilder(URI.create(gateway + "/q/health/ready"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        // Usage is billed by its own process, as in k8s/: gateways and workers stay out of the billing group.
        Map<String, String> billingEnv = new HashMap<>(common);
        billingEnv.put("MAAS_ROLE", "billing");
        billingUrl = "http://127.0.0.1:" + freePort();
        start(root.resolve("billing"), Integer.parseInt(billingUrl.substring(billingUrl.lastIndexOf(':') + 1)),
                billingEnv);
        // One worker also serves the real embedding model: a gateway has none and must route /v1/embeddings there.
        io.maas.testing.EmbeddedServicesResource.installEmbeddingModel(root.resolve("worker-1").resolve("embeddings")
                .resolve(io.maas.testing.EmbeddedServicesResource.EMBEDDING_MODEL));
        for (int w = 0; w < 2; w++) {
            Map<String, String> workerEnv = new HashMap<>(common);
            workerEnv.put("MAAS_ROLE", "worker");
            workers.add(start(root.resolve("worker-" + w), workerPorts.get(w), workerEnv));
        }
        for (String url : workerUrls) {
            awaitReady(url);
        }
        awaitReady(billingUrl);
        // Both workers are ready: now the name lists them (SRV targets are these loopback addresses).
        dns.records.put(WORKERS_SRV, workerPorts.stream().map(p -> "0 50 " + p + " 127.0.0.1").toList());
        awaitReady(gateway);
        // The gateway's own view (its status polls): both workers live before any traffic.
        awaitLiveWorkers(2);
    }

    /** Waits until the gateway's {@code /admin/fleet} shows {@code n} live workers; returns that view. */
    private static JsonNode awaitLiveWorkers(int n) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        JsonNode fleet = null;
        while (System.nanoTime() < deadline) {
            fleet = get(gateway + "/admin/fleet", ADMIN_KEY);
            int live = 0;
            for (JsonNode w : fleet.path("workers")) {
                live += "live".equals(w.path("state").asText()) ? 1 : 0;
            }
            if (live == n) {
                return fleet;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the gateway never saw " + n + " live workers: " + fleet);
    }

    private static String metrics(String base) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/q/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        return r.body();
    }

    private static double zeroIfMissing(double v) {
        return Double.isNaN(v) ? 0 : v;
    }

    /** Sum of the samples of {@code name} whose labels include every given label (NaN when none). */
    private static double sample(String text, String name, Map<String, String> labels) {
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

    @AfterAll
    static void stopFleet() {
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
        if (dns != null) {
            try {
                dns.close();
            } catch (Exception e) {
                // the test is over
            }
        }
    }

    @Test
    @Order(0)
    void theGatewayMapsNoWeightsLoadsNoPyTorchAndIsReadyOnlyWithWorkers() throws Exception {
        assertEquals(503, gatewayReadyWithoutWorkers.statusCode(), gatewayReadyWithoutWorkers.body());
        assertEquals("DOWN", check(JSON.readTree(gatewayReadyWithoutWorkers.body()), "workers").path("status").asText());
        JsonNode ready = get(gateway + "/q/health/ready", ADMIN_KEY);
        assertEquals("UP", check(ready, "workers").path("status").asText());
        assertTrue(ready.toString().contains(workerUrls.get(0)) && ready.toString().contains(workerUrls.get(1)),
                ready.toString());
        // What the gateway process has mapped: no weights file, no libtorch. A worker maps both (the check can fail).
        String gatewayMaps = Files.readString(Path.of("/proc", Long.toString(gatewayProcess.pid()), "maps"));
        assertTrue(!gatewayMaps.contains("model.safetensors") && !gatewayMaps.contains("libtorch"),
                "the gateway maps weights or PyTorch");
        String workerMaps = Files.readString(Path.of("/proc", Long.toString(workers.get(0).pid()), "maps"));
        assertTrue(workerMaps.contains("model.safetensors") && workerMaps.contains("libtorch"),
                "a worker maps its weights and PyTorch");
        // Yet the gateway lists the model and counts tokens for it (a context-length refusal comes from the gateway).
        JsonNode models = get(gateway + "/v1/models", ADMIN_KEY);
        assertTrue(models.toString().contains("\"demo-tiny\""), models.toString());
    }

    @Test
    @Order(1)
    void onlyTheBillingProcessConsumesUsage() throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                infrastructure.properties().get(LaunchSettings.PROP_KAFKA_BOOTSTRAP)))) {
            // Gateways and workers run an idle consumer in groups of their own, holding no partition.
            Map<String, Integer> idle = Map.of("maas-no-billing-gateway", 1, "maas-no-billing-worker", 2);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            Map<String, ConsumerGroupDescription> groups = Map.of();
            while (System.nanoTime() < deadline) {
                try {
                    Map<String, ConsumerGroupDescription> seen = admin.describeConsumerGroups(List.of("maas-billing",
                            "maas-no-billing-gateway", "maas-no-billing-worker")).all().get(30, TimeUnit.SECONDS);
                    groups = seen;
                    if (seen.get("maas-billing").members().size() == 1 && idle.entrySet().stream()
                            .allMatch(e -> seen.get(e.getKey()).members().size() == e.getValue())) {
                        break;
                    }
                } catch (ExecutionException e) {
                    // a group that no member has joined yet is not found
                }
                Thread.sleep(250);
            }
            ConsumerGroupDescription billing = groups.get("maas-billing");
            assertEquals(1, billing.members().size(), "the billing process alone: " + billing);
            assertEquals(EmbeddedInfrastructure.USAGE_TOPIC_PARTITIONS, billing.members().iterator().next().assignment()
                    .topicPartitions().size(), billing.toString());
            for (Map.Entry<String, Integer> e : idle.entrySet()) {
                ConsumerGroupDescription g = groups.get(e.getKey());
                assertEquals(e.getValue(), g.members().size(), g.toString());
                g.members().forEach(m -> assertTrue(m.assignment().topicPartitions().isEmpty(), g.toString()));
            }
        }
    }

    @Test
    @Order(2)
    void theGatewayEmbedsOnTheWorkerThatServesTheEmbeddingModel() throws Exception {
        String key = newKey(newTenant());
        String model = io.maas.testing.EmbeddedServicesResource.EMBEDDING_MODEL;
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(gateway + "/v1/embeddings"))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + model
                        + "\",\"input\":[\"the gateway has no model\",\"a worker has\"]}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        JsonNode body = JSON.readTree(r.body());
        assertEquals(384, body.at("/data/0/embedding").size(), "all-MiniLM-L6-v2 vectors");
        assertEquals(2, body.path("data").size());
        assertTrue(body.at("/usage/prompt_tokens").asInt() > 0, r.body());
        assertTrue(get(gateway + "/v1/models", key).findValuesAsText("id").contains(model),
                "the gateway lists the workers' embedding models");
    }

    @Test
    @Order(3)
    void affinityThenAWorkerKilledMidLoadLosesNoUnstartedRequestAndMeteringIsExact() throws Exception {
        String tenant = newTenant();
        String key = newKey(tenant);
        // Placements counted before this test (the embeddings test's call) are not this test's.
        String metricsBefore = metrics(gateway);
        double affinePlacedBefore = zeroIfMissing(sample(metricsBefore, "maas_fleet_routed_total", Map.of("placement", "home")))
                + zeroIfMissing(sample(metricsBefore, "maas_fleet_routed_total", Map.of("placement", "resident")));

        // Affinity: one at a time, each adapter becomes resident on exactly one worker.
        for (int round = 0; round < 2; round++) {
            for (String adapter : ADAPTERS) {
                Result r = stream(key, "demo-tiny:" + adapter, 4);
                assertTrue(r.completed, "request for " + adapter + ": " + r.body);
            }
        }
        int placements = 0;
        for (String worker : workerUrls) {
            JsonNode status = status(worker);
            for (JsonNode id : status.path("adapters").path("demo-tiny")) {
                assertTrue(ADAPTERS.contains(id.asText()));
                placements++;
            }
        }
        assertEquals(ADAPTERS.size(), placements, "every adapter resident on exactly one worker (affinity)");

        // What the gateway shows admins and Prometheus: both workers live with their resident adapters, every
        // request placed with affinity (home or resident, no spill one at a time), per-worker queue gauges.
        // The view is the workers' last status poll (every 500 ms here): wait for a poll after the last request
        // finished (all adapters are resident from the first round on, so a poll taken during the second round
        // already shows them, with that round's request still queued).
        JsonNode fleet;
        int shown;
        int busy;
        long viewDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        do {
            fleet = awaitLiveWorkers(2);
            shown = 0;
            busy = 0;
            for (JsonNode w : fleet.path("workers")) {
                shown += w.path("adapters").path("demo-tiny").size();
                busy += w.path("queued").asInt() + w.path("worker_in_flight").asInt();
            }
            if ((shown == ADAPTERS.size() && busy == 0) || System.nanoTime() > viewDeadline) {
                break;
            }
            Thread.sleep(100);
        } while (true);
        for (JsonNode w : fleet.path("workers")) {
            assertEquals(0, w.path("queued").asInt(), w.toString());
        }
        assertEquals(ADAPTERS.size(), shown, "the gateway's view of resident adapters: " + fleet);
        String gatewayMetrics = metrics(gateway);
        assertEquals(2.0, sample(gatewayMetrics, "maas_fleet_workers", Map.of("state", "live")), 0.0);
        assertEquals(2.0 * ADAPTERS.size(), sample(gatewayMetrics, "maas_fleet_routed_total", Map.of("placement", "home"))
                + sample(gatewayMetrics, "maas_fleet_routed_total", Map.of("placement", "resident"))
                - affinePlacedBefore, 0.0, gatewayMetrics);
        for (String url : workerUrls) {
            assertEquals(0.0, sample(gatewayMetrics, "maas_fleet_worker_queue_depth", Map.of("worker", url)), 0.0);
            String workerMetrics = metrics(url);
            assertEquals(0.0, sample(workerMetrics, "maas_fleet_internal_in_flight", Map.of()), 0.0);
            assertTrue(sample(workerMetrics, "maas_adapters_resident", Map.of("model", "demo-tiny")) >= 1,
                    "each worker holds some of the adapters");
        }

        // Load: 24 streams over the adapters, 8 at a time; one worker is killed once a few have started.
        int total = 24;
        ExecutorService pool = Executors.newFixedThreadPool(8);
        CountDownLatch someStarted = new CountDownLatch(4);
        List<Future<Result>> futures = new ArrayList<>();
        for (int i = 0; i < total; i++) {
            String model = "demo-tiny:" + ADAPTERS.get(i % ADAPTERS.size());
            futures.add(pool.submit(() -> {
                Result r = stream(key, model, 24);
                someStarted.countDown();
                return r;
            }));
        }
        assertTrue(someStarted.await(180, TimeUnit.SECONDS));
        workers.get(0).destroyForcibly();
        int completed = 0;
        int failedAfterStart = 0;
        long completionTokens = 0;
        int promptTokens = -1;
        for (Future<Result> f : futures) {
            Result r = f.get(300, TimeUnit.SECONDS);
            if (r.completed) {
                completed++;
                completionTokens += r.completionTokens;
                promptTokens = r.promptTokens;
            } else {
                assertTrue(r.deltas > 0, "a request that had not started streaming must not fail: " + r.body);
                failedAfterStart++;
            }
        }
        pool.shutdown();
        System.out.printf("fleet IT: %d completed, %d failed after their first delta (on the killed worker)%n",
                completed, failedAfterStart);
        JsonNode afterKill = awaitLiveWorkers(1);
        String killedPort = workerUrls.get(0).substring(workerUrls.get(0).lastIndexOf(':'));
        for (JsonNode w : afterKill.path("workers")) {
            assertEquals(w.path("url").asText().endsWith(killedPort) ? "down" : "live", w.path("state").asText(),
                    afterKill.toString());
        }
        assertEquals(1.0, sample(metrics(gateway), "maas_fleet_workers", Map.of("state", "down")), 0.0);
        assertEquals(total, completed + failedAfterStart);
        assertTrue(completed > 0);

        // Metering: every request (affinity round included) metered exactly once; completed ones with the usage
        // the client saw; failed ones with their prompt only (as a local engine failure is metered).
        int requests = total + 2 * ADAPTERS.size();
        long expectedPrompt = (long) requests * promptTokens;
        long expectedCompletion = completionTokens + 2L * ADAPTERS.size() * 4;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        JsonNode usage = null;
        while (System.nanoTime() < deadline) {
            usage = get(gateway + "/admin/usage?tenant=" + tenant + "&limit=1", ADMIN_KEY);
            if (usage.path("total_requests").asLong() >= requests) {
                break;
            }
            Thread.sleep(500);
        }
        assertEquals(requests, usage.path("total_requests").asLong(), usage.toString());
        assertEquals(expectedPrompt, usage.path("total_prompt_tokens").asLong(), usage.toString());
        assertEquals(expectedCompletion, usage.path("total_completion_tokens").asLong(),
                usage + " (" + failedAfterStart + " failed after their first delta)");

        // Drain: SIGTERM to the surviving worker while streams run on it; they finish before it exits.
        ExecutorService drainPool = Executors.newFixedThreadPool(3);
        List<Future<Result>> draining = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String model = "demo-tiny:" + ADAPTERS.get(i);
            draining.add(drainPool.submit(() -> stream(key, model, 24)));
        }
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (status(workerUrls.get(1)).path("in_flight").asInt() < 3 && System.nanoTime() < until) {
            Thread.sleep(100);
        }
        workers.get(1).destroy();
        for (Future<Result> f : draining) {
            Result r = f.get(120, TimeUnit.SECONDS);
            assertTrue(r.completed, "a stream running when its worker was asked to stop finishes: " + r.body);
        }
        drainPool.shutdown();
        assertTrue(workers.get(1).waitFor(60, TimeUnit.SECONDS), "the drained worker exits");
    }

    /** What one streamed request got. */
    record Result(boolean completed, int deltas, int promptTokens, int completionTokens, String body) {
    }

    private static Result stream(String key, String model, int maxTokens) throws Exception {
        String body = "{\"model\":\"" + model + "\",\"prompt\":\"Once upon a time\",\"max_tokens\":" + maxTokens
                + ",\"temperature\":0,\"stream\":true,\"stream_options\":{\"include_usage\":true}}";
        HttpResponse<java.util.stream.Stream<String>> response = HTTP.send(HttpRequest.newBuilder(
                URI.create(gateway + "/v1/completions")).header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/json").timeout(Duration.ofSeconds(240))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofLines());
        if (response.statusCode() != 200) {
            return new Result(false, 0, 0, 0, "status " + response.statusCode());
        }
        int deltas = 0;
        int prompt = 0;
        int completion = 0;
        boolean usage = false;
        boolean error = false;
        StringBuilder all = new StringBuilder();
        java.util.Iterator<String> lines = response.body().iterator();
        while (true) {
            String line;
            try {
                if (!lines.hasNext()) {
                    break;
                }
                line = lines.next();
            } catch (java.io.UncheckedIOException e) {
                error = true; // the stream broke (its worker died after the first delta)
                break;
            }
            all.append(line).append('\n');
            if (!line.startsWith("data: {")) {
                continue;
            }
            JsonNode event = JSON.readTree(line.substring(6));
            if (event.has("error")) {
                error = true;
            } else if (event.path("usage").isObject()) {
                usage = true;
                prompt = event.path("usage").path("prompt_tokens").asInt();
                completion = event.path("usage").path("completion_tokens").asInt();
            } else if (!event.path("choices").path(0).path("text").asText("").isEmpty()) {
                deltas++;
            }
        }
        return new Result(usage && !error, deltas, prompt, completion, all.toString());
    }

    private static String newTenant() throws Exception {
        String id = "fleet-" + Long.toHexString(System.nanoTime());
        post(gateway + "/admin/tenants", ADMIN_KEY, "{\"id\":\"" + id + "\",\"name\":\"fleet it\"}");
        return id;
    }

    private static String newKey(String tenant) throws Exception {
        return post(gateway + "/v1/keys", ADMIN_KEY, "{\"name\":\"fleet\",\"tenant_id\":\"" + tenant
                + "\",\"roles\":[\"tenant-member\"]}").path("secret").asText();
    }

    private static JsonNode status(String worker) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(worker + FleetWire.STATUS_PATH))
                .header(FleetWire.TOKEN_HEADER, SECRET).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }

    private static JsonNode check(JsonNode health, String name) {
        for (JsonNode c : health.path("checks")) {
            if (name.equals(c.path("name").asText())) {
                return c;
            }
        }
        throw new AssertionError("no check " + name + " in " + health);
    }

    private static JsonNode get(String url, String key) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + key)
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), url + ": " + r.body());
        return JSON.readTree(r.body());
    }

    private static JsonNode post(String url, String key, String body) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertTrue(r.statusCode() / 100 == 2, url + ": " + r.statusCode() + " " + r.body());
        return JSON.readTree(r.body());
    }

    private static Process start(Path dataDir, int port, Map<String, String> env) throws IOException {
        Files.createDirectories(dataDir);
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-Dai.djl.offline=true",
                "-Dot.epg.working-dir=" + System.getProperty("ot.epg.working-dir", "/tmp/embedded-pg"),
                "-jar", JAR.toAbsolutePath().toString());
        pb.environment().putAll(env);
        pb.environment().put("MAAS_DATA_DIR", dataDir.toString());
        pb.environment().put("MAAS_HTTP_PORT", Integer.toString(port));
        pb.redirectErrorStream(true).redirectOutput(dataDir.resolve("console.log").toFile());
        Process p = pb.start();
        processes.add(p);
        return p;
    }

    private static void awaitStatus(String url, int status) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
        while (System.nanoTime() < deadline) {
            try {
                if (HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
                        HttpResponse.BodyHandlers.ofString()).statusCode() == status) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(500);
        }
        throw new AssertionError(url + " never answered " + status);
    }

    private static void awaitReady(String url) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
        while (System.nanoTime() < deadline) {
            try {
                HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url + "/q/health/ready"))
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
