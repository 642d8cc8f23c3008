package io.maas.catalog;

import static io.maas.catalog.CatalogArchives.Item.file;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.stream.Stream;

import jakarta.inject.Inject;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.node.ObjectNode;

import io.maas.catalog.CatalogArchives.Item;
import io.maas.catalog.store.ContentStore;
import io.maas.inference.model.ModelGenerator;
import io.maas.inference.model.ModelShape;
import io.maas.testing.Api;
import io.maas.testing.EmbeddedServicesResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;

/**
 * Hostile uploads through {@code POST /v1/catalog/adapters}: each is refused with the rule that failed, leaves
 * nothing in the store (no blob, no version, no staging) nor anywhere outside it, and the server keeps serving.
 */
@QuarkusTest
@QuarkusTestResource(value = EmbeddedServicesResource.class, restrictToAnnotatedClass = false)
class HostileArchiveTest {
    private static final String BASE = "demo-tiny";
    private static String provider;
    private static String providerKey;
    private static KeyPair keys;

    @Inject
    ContentStore store;

    @BeforeEach
    void provider() {
        if (providerKey != null) {
            return;
        }
        provider = Api.newTenant("hostile");
        providerKey = Api.newKey(provider, "provider");
        keys = CatalogArchives.newKeyPair();
        Api.as(providerKey).body(Map.of("public_key", CatalogArchives.rawPublicKey(keys)))
                .put("/v1/catalog/provider-key").then().statusCode(204);
    }

    private static String newId() {
        return "hostile-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static List<Item> valid(String id) {
        return CatalogArchives.items(CatalogArchives.adapterFiles(ModelShape.TINY, BASE, id.hashCode()),
                CatalogArchives.manifest(id, "1.0.0", BASE, "Apache-2.0"));
    }

    private static ValidatableResponse upload(byte[] archive) {
        return given().header("Authorization", "Bearer " + providerKey).contentType("application/octet-stream")
                .body(archive).post("/v1/catalog/adapters").then();
    }

    /** Uploads, expects the rule, and checks that nothing was kept. */
    private void refused(byte[] archive, String rule) throws IOException {
        List<Path> before = storeFiles();
        upload(archive).statusCode(422).body("error.code", equalTo(rule)).body("error.type",
                equalTo("invalid_request_error"));
        assertEquals(before, storeFiles(), "a refused upload leaves the store as it was");
        Path staging = store.root().resolve("staging");
        if (Files.exists(staging)) {
            try (Stream<Path> s = Files.list(staging)) {
                assertEquals(0, s.count(), "staging is emptied");
            }
        }
    }

    private List<Path> storeFiles() throws IOException {
        if (!Files.exists(store.root())) {
            return List.of();
        }
        try (Stream<Path> walk = Files.walk(store.root())) {
            // The store creates its root on first use: an empty root is not something an upload kept.
            return walk.filter(p -> !p.startsWith(store.root().resolve("staging")) && !p.equals(store.root()))
                    .sorted().toList();
        }
    }

    @Test
    void aValidUploadIsAcceptedSoTheRefusalsBelowAreAboutTheirRule() {
        String id = newId();
        upload(CatalogArchives.tarGz(valid(id))).statusCode(201).body("status", equalTo("draft"));
    }

    @Test
    void pathTraversalIsRefused() throws IOException {
        String marker = "escaped-" + UUID.randomUUID() + ".json";
        List<Item> items = new ArrayList<>(valid(newId()));
        items.add(file("../../" + marker, "{}".getBytes(StandardCharsets.UTF_8)));
        refused(CatalogArchives.tarGz(items), "archive_path_traversal");
        refused(CatalogArchives.zip(items), "archive_path_traversal");
        assertFalse(Files.exists(store.root().resolve(marker)));
        assertFalse(Files.exists(store.root().getParent().resolve(marker)));
        assertFalse(Files.exists(store.root().resolve("staging").resolve(marker)));
    }

    @Test
    void absolutePathsAreRefused() throws IOException {
        String marker = "/tmp/absolute-" + UUID.randomUUID() + ".json";
        List<Item> items = new ArrayList<>(valid(newId()));
        items.add(file(marker, "{}".getBytes(StandardCharsets.UTF_8)));
        refused(CatalogArchives.tarGz(items), "archive_absolute_path");
        refused(CatalogArchives.zip(items), "archive_absolute_path");
        assertFalse(Files.exists(Path.of(marker)));
    }

    @Test
    void symbolicAndHardLinksAreRefused() throws IOException {
        List<Item> sym = new ArrayList<>(valid(newId()));
        sym.add(Item.symlink("README.md", "/etc/passwd"));
        refused(CatalogArchives.tarGz(sym), "archive_link");
        refused(CatalogArchives.zip(sym), "archive_link");
        List<Item> hard = new ArrayList<>(valid(newId()));
        hard.add(Item.hardlink("README.md", "/etc/passwd"));
        refused(CatalogArchives.tarGz(hard), "archive_link");
    }

    @Test
    void duplicateEntriesAreRefused() throws IOException {
        List<Item> items = new ArrayList<>(valid(newId()));
        items.add(file("README.md", "one".getBytes(StandardCharsets.UTF_8)));
        items.add(file("README.md", "two".getBytes(StandardCharsets.UTF_8)));
        refused(CatalogArchives.tarGz(items), "archive_duplicate_entry");
        refused(CatalogArchives.zip(items), "archive_duplicate_entry");
        List<Item> cased = new ArrayList<>(valid(newId()));
        cased.add(file("readme.md", "one".getBytes(StandardCharsets.UTF_8)));
        cased.add(file("README.md", "two".getBytes(StandardCharsets.UTF_8)));
        refused(CatalogArchives.zip(cased), "archive_duplicate_entry");
    }

    @Test
    void aZipBombIsRefusedByTheCompressionRatio() throws IOException {
        List<Item> items = new ArrayList<>(valid(newId()));
        items.add(file("notes.txt", new byte[6 * 1024 * 1024])); // zeros: deflates ~1000:1
        refused(CatalogArchives.zip(items), "archive_compression_ratio");
        refused(CatalogArchives.tarGz(items), "archive_compression_ratio");
    }

    @Test
    void aFileOverTheSizeBoundIsRefusedEvenWhenItCompressesModestly() throws IOException {
        // 9 MiB over a 4-letter alphabet: ~4:1, under the ratio bound, over maas.catalog.max-file-bytes (8 MiB in tests).
        byte[] big = new byte[9 * 1024 * 1024];
        Random r = new Random(7);
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) "ACGT".charAt(r.nextInt(4));
        }
        List<Item> items = new ArrayList<>(valid(newId()));
        items.add(file("notes.txt", big));
        refused(CatalogArchives.tarGz(items), "archive_file_too_large");
    }

    @Test
    void tooManyFilesAreRefused() throws IOException {
        List<Item> items = new ArrayList<>(valid(newId()));
        for (int i = 0; i < 70; i++) {
            items.add(file("doc-" + i + ".md", ("# " + i).getBytes(StandardCharsets.UTF_8)));
        }
        refused(CatalogArchives.tarGz(items), "archive_too_many_files");
    }

    @Test
    void anUploadOverTheRouteBoundIs413ButOneOverTheGlobal1MReachesValidation() throws IOException {
        byte[] junk = new byte[2 * 1024 * 1024];
        new Random(1).nextBytes(junk);
        junk[0] = 'x';
        refused(junk, "archive_unsupported_format"); // 2 MiB > the global 1M: the upload route has its own bound
        byte[] tooBig = new byte[5 * 1024 * 1024];
        upload(tooBig).statusCode(413).body("error.code", equalTo("upload_too_large"));
        // Other routes keep the global bound.
        given().header("Authorization", "Bearer " + Api.ADMIN_KEY).contentType(ContentType.JSON)
                .body(new byte[2 * 1024 * 1024]).post("/v1/completions").then().statusCode(413);
    }

    @Test
    void pickleFilesAreRefused() throws IOException {
        for (String name : List.of("adapter_model.bin", "weights.pt", "extra.pth", "state.pkl")) {
            List<Item> items = new ArrayList<>(valid(newId()));
            items.add(file(name, new byte[] {(byte) 0x80, 0x02, '}', 'q', 0, '.'}));
            refused(CatalogArchives.tarGz(items), "pickle_refused");
        }
    }

    @Test
    void aShapeMismatchedAdapterIsRefusedByTheEngine() throws IOException {
        String id = newId();
        // An adapter made for a wider model, claiming demo-tiny as its base.
        ModelShape wider = new ModelShape("wider", 96, 2, 4, 2, 128, ModelGenerator.TOKENIZER_VOCAB_SIZE, true, 2048,
                10000.0, 1e-5);
        List<Item> items = CatalogArchives.items(CatalogArchives.adapterFiles(wider, BASE, 5),
                CatalogArchives.manifest(id, "1.0.0", BASE, "Apache-2.0"));
        refused(CatalogArchives.tarGz(items), "adapter_invalid");
        upload(CatalogArchives.tarGz(items)).statusCode(422).body("error.message", containsString("shape"));
    }

    @Test
    void aWrongOrUnknownBaseIsRefused() throws IOException {
        String id = newId();
        List<Item> mismatch = CatalogArchives.items(CatalogArchives.adapterFiles(ModelShape.TINY, "some-org/other-model", 3),
                CatalogArchives.manifest(id, "1.0.0", BASE, "Apache-2.0"));
        refused(CatalogArchives.tarGz(mismatch), "base_model_mismatch");
        List<Item> unknown = CatalogArchives.items(CatalogArchives.adapterFiles(ModelShape.TINY, "no-such-base", 3),
                CatalogArchives.manifest(id, "1.0.0", "no-such-base", "Apache-2.0"));
        refused(CatalogArchives.tarGz(unknown), "base_model_unknown");
    }

    @Test
    void aSignatureByAnotherKeyIsRefused() throws IOException {
        List<Item> signed = CatalogArchives.signed(valid(newId()), CatalogArchives.newKeyPair().getPrivate());
        refused(CatalogArchives.tarGz(signed), "signature_invalid");
    }

    @Test
    void aFileTamperedWithAfterSigningIsRefused() throws IOException {
        String id = newId();
        List<Item> signed = CatalogArchives.signed(valid(id), keys.getPrivate());
        List<Item> tampered = new ArrayList<>();
        for (Item i : signed) {
            if (i.name().equals("adapter_model.safetensors")) {
                byte[] c = i.content().clone();
                c[c.length - 1] ^= 1; // one bit of one weight
                tampered.add(file(i.name(), c));
            } else {
                tampered.add(i);
            }
        }
        refused(CatalogArchives.tarGz(tampered), "signature_invalid");
        // A changed claim in the manifest breaks the signature too.
        ObjectNode m = CatalogArchives.manifest(id, "1.0.0", BASE, "Apache-2.0");
        m.putObject("claims").put("rouge_l", 0.99);
        List<Item> changed = new ArrayList<>(signed);
        changed.set(0, file(io.maas.catalog.manifest.Manifest.FILE, CatalogArchives.json(m)));
        refused(CatalogArchives.tarGz(changed), "signature_invalid");
        // The untouched signed archive is accepted: the refusals above are about the tampering.
        upload(CatalogArchives.tarGz(signed)).statusCode(201).body("signed", equalTo(true));
    }

    @Test
    void aDeniedLicenseIsRefusedAndTheAdminPolicyDecides() throws IOException {
        String id = newId();
        List<Item> gpl = CatalogArchives.items(CatalogArchives.adapterFiles(ModelShape.TINY, BASE, 9),
                CatalogArchives.manifest(id, "1.0.0", BASE, "GPL-3.0-only"));
        refused(CatalogArchives.tarGz(gpl), "license_denied");
        List<Item> other = CatalogArchives.items(CatalogArchives.adapterFiles(ModelShape.TINY, BASE, 9),
                CatalogArchives.manifest(id, "1.0.0", BASE, "LicenseRef-Hostile"));
        Api.as(Api.ADMIN_KEY).body(Map.of("decision", "deny")).put("/admin/catalog/licenses/LicenseRef-Hostile")
                .then().statusCode(200);
        refused(CatalogArchives.tarGz(other), "license_denied");
        Api.as(Api.ADMIN_KEY).body(Map.of("decision", "allow")).put("/admin/catalog/licenses/LicenseRef-Hostile")
                .then().statusCode(200);
        upload(CatalogArchives.tarGz(other)).statusCode(201);
    }

    @Test
    void aBrokenManifestIsRefusedNamingTheField() throws IOException {
        String id = newId();
        ObjectNode m = CatalogArchives.manifest(id, "1.0", BASE, "Apache-2.0");
        refused(CatalogArchives.tarGz(CatalogArchives.items(CatalogArchives.adapterFiles(ModelShape.TINY, BASE, 2), m)),
                "manifest_invalid");
        List<Item> none = new ArrayList<>(valid(id));
        none.remove(0);
        refused(CatalogArchives.tarGz(none), "manifest_missing");
    }

    @Test
    void theServerStillServesAfterTheSuite() {
        Api.as(Api.ADMIN_KEY).body("{\"model\":\"demo-tiny\",\"prompt\":\"hi\",\"max_tokens\":2}")
                .post("/v1/completions").then().statusCode(200);
        assertTrue(Files.isDirectory(store.root()) || !Files.exists(store.root()));
    }
}
