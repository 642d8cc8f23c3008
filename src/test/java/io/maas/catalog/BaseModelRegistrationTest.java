package io.maas.catalog;

import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.maas.catalog.store.ContentStore;
import io.maas.inference.model.ModelGenerator;
import io.maas.inference.model.ModelShape;
import io.maas.testing.Api;
import io.maas.testing.EmbeddedServicesResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * Base models registered by a platform admin from a server-side folder: checked like adapters, stored by content,
 * served at once, and usable as the base of a published adapter; hostile folders are refused with their rule.
 */
@QuarkusTest
@QuarkusTestResource(value = EmbeddedServicesResource.class, restrictToAnnotatedClass = false)
class BaseModelRegistrationTest {
    @Inject
    ContentStore store;

    private static Path generatedModel(long seed) throws IOException {
        Path dir = Files.createTempDirectory("catalog-model-");
        ModelGenerator.write(dir, ModelShape.TINY, seed);
        return dir;
    }

    @Test
    void aRegisteredBaseModelIsServedAndCarriesPublishedAdapters() throws IOException {
        // Named to sort after demo-tiny: other tests of this shared application expect it first in /v1/models.
        String id = "tiny-base-" + UUID.randomUUID().toString().substring(0, 8);
        Api.as(Api.ADMIN_KEY).body(Map.of("id", id, "path", generatedModel(77).toString()))
                .post("/admin/catalog/models").then().statusCode(201).body("id", equalTo(id))
                .body("files.path", hasItem("model.safetensors"));
        Api.as(Api.ADMIN_KEY).get("/v1/models").then().statusCode(200).body("data.id", hasItem(id));
        Api.as(Api.ADMIN_KEY).body(Map.of("model", id, "prompt", "Once upon a time", "max_tokens", 4))
                .post("/v1/completions").then().statusCode(200);
        Api.as(Api.ADMIN_KEY).get("/admin/catalog/models").then().statusCode(200).body("data.id", hasItem(id));
        Api.as(Api.ADMIN_KEY).body(Map.of("id", id, "path", generatedModel(78).toString()))
                .post("/admin/catalog/models").then().statusCode(409).body("error.code", equalTo("model_id_taken"));

        // An adapter published on it by a provider.
        String providerKey = Api.newKey(Api.newTenant("provider"), "provider");
        String adapter = "on-" + id;
        byte[] archive = CatalogArchives.tarGz(CatalogArchives.items(CatalogArchives.adapterFiles(ModelShape.TINY, id, 5),
                CatalogArchives.manifest(adapter, "1.0.0", id, "MIT")));
        io.restassured.RestAssured.given().header("Authorization", "Bearer " + providerKey)
                .contentType("application/gzip").body(archive).post("/v1/catalog/adapters").then().statusCode(201);
        Api.as(providerKey).body(Map.of("status", "published"))
                .post("/v1/catalog/adapters/" + adapter + "/versions/1.0.0/status").then().statusCode(200);
        Api.as(Api.ADMIN_KEY).body(Map.of("model", adapter, "prompt", "Once upon a time", "max_tokens", 4))
                .post("/v1/completions").then().statusCode(200);
    }

    @Test
    void hostileOrBrokenModelFoldersAreRefusedWithTheirRule() throws IOException {
        Path pickle = generatedModel(80);
        Files.write(pickle.resolve("pytorch_model.bin"), new byte[] {(byte) 0x80, 2, '}', '.'});
        refused(pickle, "pickle_refused");

        Path link = generatedModel(81);
        Files.createSymbolicLink(link.resolve("README.md"), Path.of("/etc/passwd"));
        refused(link, "archive_link");

        Path broken = generatedModel(82);
        Files.writeString(broken.resolve("config.json"), "{\"architectures\":[\"LlamaForCausalLM\"],\"hidden_size\":-1}");
        refused(broken, "model_invalid");

        Path empty = Files.createTempDirectory("catalog-model-empty-");
        Files.writeString(empty.resolve("README.md"), "nothing here");
        refused(empty, "model_files_missing");
    }

    private void refused(Path dir, String rule) throws IOException {
        String id = "bad-" + UUID.randomUUID().toString().substring(0, 8);
        Api.as(Api.ADMIN_KEY).body(Map.of("id", id, "path", dir.toString())).post("/admin/catalog/models").then()
                .statusCode(422).body("error.code", equalTo(rule));
        assertFalse(Files.exists(store.modelDir(id)), "nothing is stored for a refused model");
        Api.as(Api.ADMIN_KEY).get("/v1/models").then().body("data.id", org.hamcrest.Matchers.not(hasItem(id)));
    }
}
