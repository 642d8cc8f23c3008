package io.maas.app.bootstrap;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import io.maas.testing.EmbeddedServicesResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/** On a first start without MAAS_BOOTSTRAP_ADMIN_KEY a platform-admin key is generated, saved owner-only, and works. */
@QuarkusTest
@TestProfile(BootstrapAdminKeyTest.GeneratedKey.class)
class BootstrapAdminKeyTest {
    /** Its own application and data folder, with no bootstrap key configured. */
    public static class GeneratedKey implements QuarkusTestProfile {
        @Override
        public java.util.List<TestResourceEntry> testResources() {
            return java.util.List.of(new TestResourceEntry(EmbeddedServicesResource.class,
                    java.util.Map.of(EmbeddedServicesResource.BOOTSTRAP_KEY_ARG, "generate"), true));
        }

        @Override
        public boolean disableGlobalTestResources() {
            return true;
        }
    }

    @ConfigProperty(name = "maas.data-dir")
    Path dataDir;

    @Test
    void aGeneratedKeyIsSavedOwnerOnlyAndAuthenticatesAsPlatformAdmin() throws Exception {
        Path file = dataDir.resolve(BootstrapAdmin.KEY_FILE);
        assertTrue(Files.exists(file));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        String key = Files.readString(file).trim();
        assertTrue(key.startsWith("sk-") && key.length() == 46, key.length() + " characters");
        given().header("Authorization", "Bearer " + key).get("/admin/usage").then().statusCode(200);
    }
}
