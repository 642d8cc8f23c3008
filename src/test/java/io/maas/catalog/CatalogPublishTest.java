package io.maas.catalog;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.node.ObjectNode;

import io.maas.billing.usage.UsageRecord;
import io.maas.catalog.store.ContentStore;
import io.maas.inference.model.ModelShape;
import io.maas.testing.Api;
import io.maas.testing.EmbeddedServicesResource;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;

/**
 * Real generated adapters published end to end: uploaded by a provider, checked, stored by content, published,
 * called through {@code /v1/chat/completions} as {@code id@version} and {@code id}, listed to the tenants allowed,
 * metered with their provider, then deprecated and retired while newer versions serve.
 */
@QuarkusTest
@QuarkusTestResource(value = EmbeddedServicesResource.class, restrictToAnnotatedClass = false)
class CatalogPublishTest {
    private static final String BASE = "demo-tiny";

    @Inject
    ContentStore store;

    private static String newId() {
        return "legal-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static Response upload(String key, byte[] archive) {
        return given().header("Authorization", "Bearer " + key).contentType("application/gzip").body(archive)
                .post("/v1/catalog/adapters");
    }

    private static byte[] archive(String id, String version, long seed, ObjectNode extra) {
        ObjectNode m = CatalogArchives.manifest(id, version, BASE, "Apache-2.0");
        if (extra != null) {
            m.setAll(extra);
        }
        return CatalogArchives.tarGz(CatalogArchives.items(CatalogArchives.adapterFiles(ModelShape.TINY, BASE, seed), m));
    }

    private static void status(String key, String id, String version, String status, String successor) {
        Map<String, String> body = successor == null ? Map.of("status", status)
                : Map.of("status", status, "successor", successor);
        Api.as(key).body(body).post("/v1/catalog/adapters/" + id + "/versions/" + version + "/status").then()
                .statusCode(200).body("status", equalTo(status));
    }

    private static Response chat(String key, String model) {
        return Api.as(key).body(Map.of("model", model, "max_tokens", 8, "temperature", 0,
                "messages", List.of(Map.of("role", "user", "content", "Summarize the contract")))).post("/v1/chat/completions");
    }

    private static UsageRecord usageOf(Response r) {
        String hex = ((String) r.path("id")).substring("chatcmpl-".length());
        UUID eventId = UUID.fromString(hex.replaceFirst("(.{8})(.{4})(.{4})(.{4})(.{12})", "$1-$2-$3-$4-$5"));
        return await().atMost(Duration.ofSeconds(30)).until(
                () -> QuarkusTransaction.requiringNew().call(() -> UsageRecord.<UsageRecord>findById(eventId)),
                u -> u != null);
    }

    @Test
    void aSignedAdapterIsPublishedThenServedByVersionAndByIdAndMeteredWithItsProvider() {
        String provider = Api.newTenant("provider");
        String providerKey = Api.newKey(provider, "provider");
        String customer = Api.newTenant("customer");
        String customerKey = Api.newKey(customer, "tenant-member");
        KeyPair keys = CatalogArchives.newKeyPair();
        Api.as(providerKey).body(Map.of("public_key", CatalogArchives.rawPublicKey(keys))).put("/v1/catalog/provider-key")
                .then().statusCode(204);
        String id = newId();
        ObjectNode m = CatalogArchives.manifest(id, "1.0.0", BASE, "Apache-2.0");
        m.putObject("claims").put("rouge_l", 0.41).put("dataset", "billsum");
        byte[] archive = CatalogArchives.tarGz(CatalogArchives.signed(
                CatalogArchives.items(CatalogArchives.adapterFiles(ModelShape.TINY, BASE, 11), m), keys.getPrivate()));

        Response created = upload(providerKey, archive);
        created.then().statusCode(201).body("status", equalTo("draft")).body("model", equalTo(id + "@1.0.0"))
                .body("provider", equalTo(provider)).body("signed", equalTo(true))
                .body("claims.verification", equalTo("verified_by_provider_signature"))
                .body("claims.data.dataset", equalTo("billsum"))
                .body("files.path", hasItem("adapter_model.safetensors"));
        List<Map<String, Object>> files = created.path("files");
        for (Map<String, Object> f : files) {
            Path blob = store.blob((String) f.get("sha256"));
            assertTrue(Files.isRegularFile(blob), "every file is stored under its digest");
        }

        // A draft is not served, not even to its provider.
        chat(customerKey, id + "@1.0.0").then().statusCode(404);
        Api.as(customerKey).get("/v1/catalog/adapters/" + id).then().statusCode(404);
        Api.as(providerKey).get("/v1/catalog/adapters?mine=true").then().statusCode(200).body("data.id", hasItem(id));

        status(providerKey, id, "1.0.0", "published", null);
        Response byVersion = chat(customerKey, id + "@1.0.0");
        byVersion.then().statusCode(200).body("model", equalTo(id + "@1.0.0"));
        Response byId = chat(customerKey, id);
        byId.then().statusCode(200);
        assertEquals((String) byVersion.path("choices[0].message.content"), byId.path("choices[0].message.content"));
        String base = chat(customerKey, BASE).then().statusCode(200).extract().path("choices[0].message.content");
        assertNotEquals(base, byVersion.path("choices[0].message.content"), "the adapter changes greedy decoding");

        UsageRecord row = usageOf(byVersion);
        assertEquals(BASE, row.baseModel);
        assertEquals(id + "@1.0.0", row.adapter);
        assertEquals(provider, row.provider);

        Api.as(customerKey).get("/v1/models").then().statusCode(200).body("data.id", hasItem(id + "@1.0.0"));
        Api.as(customerKey).get("/v1/catalog/adapters?tag=summarization&base_model=" + BASE + "&license=Apache-2.0&provider="
                + provider).then().statusCode(200).body("data.id", hasItem(id));
        Api.as(customerKey).get("/v1/catalog/adapters?tag=no-such-tag").then().statusCode(200)
                .body("data.id", not(hasItem(id)));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> Api.as(customerKey).get("/v1/catalog/adapters/" + id)
                .then().statusCode(200)
                .body("versions[0].price.input_micros_per_token", equalTo(0.5f))
                .body("versions[0].files[0].sha256", notNullValue())
                .body("usage_30d.requests", greaterThan(1))
                .body("usage_30d.distinct_tenants", equalTo(1)));
        // Publishing entered the proposed price in the price book for that version.
        Api.as(Api.ADMIN_KEY).get("/admin/billing/prices").then().statusCode(200)
                .body("data.adapter", hasItem(id + "@1.0.0"));

        upload(providerKey, archive).then().statusCode(409).body("error.code", equalTo("version_exists"));
        // Another provider cannot publish under this id.
        String other = Api.newKey(Api.newTenant("squatter"), "provider");
        upload(other, archive(id, "9.0.0", 1, null)).then().statusCode(409).body("error.code", equalTo("adapter_id_taken"));
    }

    @Test
    void aNewVersionPublishesWhileTheOldOneServesThenTheOldOneIsDeprecatedAndRetired() throws Exception {
        String provider = Api.newTenant("provider");
        String providerKey = Api.newKey(provider, "provider");
        String customerKey = Api.newKey(Api.newTenant("customer"), "tenant-member");
        String id = newId();
        upload(providerKey, archive(id, "1.0.0", 21, null)).then().statusCode(201);
        status(providerKey, id, "1.0.0", "published", null);
        String v1 = chat(customerKey, id).then().statusCode(200).extract().path("choices[0].message.content");

        // Traffic on 1.0.0 keeps flowing while 1.1.0 is uploaded and published.
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        List<Future<List<Integer>>> callers = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            callers.add(pool.submit(() -> {
                List<Integer> statuses = new ArrayList<>();
                while (!stop.get() || statuses.size() < 3) {
                    statuses.add(chat(customerKey, id + "@1.0.0").statusCode());
                }
                return statuses;
            }));
        }
        upload(providerKey, archive(id, "1.1.0", 22, null)).then().statusCode(201);
        status(providerKey, id, "1.1.0", "published", null);
        stop.set(true);
        for (Future<List<Integer>> f : callers) {
            List<Integer> statuses = f.get();
            assertTrue(statuses.stream().allMatch(s -> s == 200), "every call during the publication succeeded: " + statuses);
        }
        pool.shutdown();

        // The bare id now names the latest version.
        String latest = chat(customerKey, id).then().statusCode(200).extract().path("choices[0].message.content");
        String v11 = chat(customerKey, id + "@1.1.0").then().statusCode(200).extract().path("choices[0].message.content");
        assertEquals(v11, latest);
        assertNotEquals(v1, v11);

        // Deprecated: still served, with a Deprecation header and the successor.
        status(providerKey, id, "1.0.0", "deprecated", id + "@1.1.0");
        chat(customerKey, id + "@1.0.0").then().statusCode(200).header("Deprecation", notNullValue())
                .header("Link", containsString(id + "@1.1.0"));
        chat(customerKey, id + "@1.1.0").then().statusCode(200).header("Deprecation", nullValue());
        Api.as(customerKey).body(Map.of("model", id + "@1.0.0", "max_tokens", 4, "stream", true,
                "messages", List.of(Map.of("role", "user", "content", "hi")))).post("/v1/chat/completions").then()
                .statusCode(200).header("Deprecation", notNullValue()).body(containsString("[DONE]"));

        // A reservation on the version, then retirement: 410 naming the successor, and the reservation is flagged.
        String reservationTenant = Api.newTenant("reserver");
        String reservation = "res-" + UUID.randomUUID().toString().substring(0, 8);
        Api.as(Api.ADMIN_KEY).body("""
                {"id":"%s","tenant_id":"%s","scope":{"kind":"adapters","adapters":["%s:%s@1.0.0"]},
                 "fee_monthly_micros":1000000,"allowance_monthly_tokens":1000,"overage_micros_per_token":1,
                 "starts_at":"%s"}""".formatted(reservation, reservationTenant, BASE, id,
                        Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS)))
                .post("/admin/billing/reservations").then().statusCode(201);
        Api.as(Api.ADMIN_KEY).get("/admin/catalog/retired-reservations").then().statusCode(200)
                .body("data.reservation_id", not(hasItem(reservation)));
        status(providerKey, id, "1.0.0", "retired", null);
        chat(customerKey, id + "@1.0.0").then().statusCode(410).body("error.code", equalTo("model_retired"))
                .body("error.message", containsString(id + "@1.1.0"));
        Api.as(customerKey).get("/v1/models").then().body("data.id", not(hasItem(id + "@1.0.0")))
                .body("data.id", hasItem(id + "@1.1.0"));
        Api.as(Api.ADMIN_KEY).get("/admin/catalog/retired-reservations").then().statusCode(200)
                .body("data.reservation_id", hasItem(reservation))
                .body("data.find { it.reservation_id == '" + reservation + "' }.successor", equalTo(id + "@1.1.0"));
        // Lifecycle moves only forward.
        Api.as(providerKey).body(Map.of("status", "published"))
                .post("/v1/catalog/adapters/" + id + "/versions/1.0.0/status").then().statusCode(409)
                .body("error.code", equalTo("invalid_transition"));
    }

    @Test
    void concurrentUploadsOfOneVersionStoreItOnce() throws Exception {
        String providerKey = Api.newKey(Api.newTenant("provider"), "provider");
        String id = newId();
        byte[] archive = archive(id, "1.0.0", 61, null);
        ExecutorService pool = Executors.newFixedThreadPool(3);
        List<Future<Integer>> results = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            results.add(pool.submit(() -> upload(providerKey, archive).statusCode()));
        }
        List<Integer> statuses = new ArrayList<>();
        for (Future<Integer> f : results) {
            statuses.add(f.get());
        }
        pool.shutdown();
        assertEquals(1, statuses.stream().filter(s -> s == 201).count(), "exactly one upload wins: " + statuses);
        assertEquals(2, statuses.stream().filter(s -> s == 409).count(), "the others see version_exists: " + statuses);
        Api.as(providerKey).get("/v1/catalog/adapters/" + id).then().statusCode(200).body("versions.size()", equalTo(1));
    }

    @Test
    void aPrivateAdapterIsVisibleOnlyToItsTenantsAndItsProvider() {
        String provider = Api.newTenant("provider");
        String providerKey = Api.newKey(provider, "provider");
        String allowed = Api.newTenant("allowed");
        String allowedKey = Api.newKey(allowed, "tenant-member");
        String outsiderKey = Api.newKey(Api.newTenant("outsider"), "tenant-member");
        String id = newId();
        ObjectNode extra = CatalogArchives.manifest(id, "1.0.0", BASE, "MIT");
        extra.removeAll();
        extra.put("visibility", "private");
        extra.putArray("tenants").add(allowed);
        upload(providerKey, archive(id, "1.0.0", 31, extra)).then().statusCode(201);
        status(providerKey, id, "1.0.0", "published", null);
        chat(allowedKey, id).then().statusCode(200);
        Api.as(allowedKey).get("/v1/models").then().body("data.id", hasItem(id + "@1.0.0"));
        chat(outsiderKey, id).then().statusCode(404).body("error.code", equalTo("model_not_found"));
        Api.as(outsiderKey).get("/v1/models").then().body("data.id", not(hasItem(id + "@1.0.0")));
        Api.as(outsiderKey).get("/v1/catalog/adapters/" + id).then().statusCode(404);
        Api.as(outsiderKey).get("/v1/catalog/adapters").then().body("data.id", not(hasItem(id)));
        // A provider cannot move another provider's version.
        Api.as(Api.newKey(Api.newTenant("rival"), "provider")).body(Map.of("status", "retired"))
                .post("/v1/catalog/adapters/" + id + "/versions/1.0.0/status").then().statusCode(404);
    }

    @Test
    void identicalFilesAreStoredOnceAndAChangedFileIsRefusedAtLoad() throws IOException {
        String providerKey = Api.newKey(Api.newTenant("provider"), "provider");
        String customerKey = Api.newKey(Api.newTenant("customer"), "tenant-member");
        String id = newId();
        upload(providerKey, archive(id, "1.0.0", 41, null)).then().statusCode(201);
        upload(providerKey, archive(id, "1.0.1", 41, null)).then().statusCode(201); // the same weights again
        String sha = CatalogArchives.sha256(CatalogArchives.adapterFiles(ModelShape.TINY, BASE, 41)
                .get("adapter_model.safetensors"));
        Path blob = store.blob(sha);
        assertTrue(Files.isRegularFile(blob));
        try (Stream<Path> s = Files.list(blob.getParent())) {
            assertEquals(1, s.filter(p -> p.getFileName().toString().equals(sha)).count());
        }
        assertEquals(Files.getAttribute(blob, "unix:ino"),
                Files.getAttribute(store.versionDir(id, "1.0.1").resolve("adapter_model.safetensors"), "unix:ino"),
                "the version's file is the blob itself (hard link), memory-mapped from the store");

        status(providerKey, id, "1.0.0", "published", null);
        blob.toFile().setWritable(true);
        Files.write(blob, new byte[] {0}, StandardOpenOption.APPEND);
        chat(customerKey, id + "@1.0.0").then().statusCode(503).body("error.code", equalTo("adapter_integrity_failed"));
    }

    @Test
    void anAdminRegistersAnAdapterFromAServerSideFolder() throws IOException {
        String id = newId();
        Path dir = Files.createTempDirectory("catalog-register-");
        Files.write(dir.resolve(io.maas.catalog.manifest.Manifest.FILE),
                CatalogArchives.json(CatalogArchives.manifest(id, "2.0.0", BASE, "Apache-2.0")));
        for (Map.Entry<String, byte[]> f : CatalogArchives.adapterFiles(ModelShape.TINY, BASE, 51).entrySet()) {
            Files.write(dir.resolve(f.getKey()), f.getValue());
        }
        Api.as(Api.ADMIN_KEY).body(Map.of("path", dir.toString())).post("/admin/catalog/adapters").then()
                .statusCode(201).body("provider", equalTo("maas")).body("status", equalTo("draft"));
        Path link = Files.createTempDirectory("catalog-register-link-");
        Files.createSymbolicLink(link.resolve("adapter_model.safetensors"), dir.resolve("adapter_model.safetensors"));
        Api.as(Api.ADMIN_KEY).body(Map.of("path", link.toString())).post("/admin/catalog/adapters").then()
                .statusCode(422).body("error.code", equalTo("archive_link"));
    }
}
