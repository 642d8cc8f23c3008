package io.maas.app.launch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Launch settings: defaults, external services, and a refusal naming the key for each bad value. */
class LaunchSettingsTest {
    @TempDir
    Path dir;

    private LaunchSettings resolve(Map<String, String> env) {
        return LaunchSettings.resolve(env, new Properties());
    }

    @Test
    void noConfigurationMeansEverythingEmbedded() {
        LaunchSettings settings = resolve(Map.of("MAAS_DATA_DIR", dir.toString()));
        assertEquals(dir.toAbsolutePath(), settings.dataDir());
        assertTrue(settings.externalDatabase().isEmpty());
        assertTrue(settings.externalKafkaBootstrap().isEmpty());
        assertFalse(settings.quarkusProperties().containsKey("quarkus.datasource.jdbc.url"));
    }

    @Test
    void externalServicesAreTakenAsGiven() {
        LaunchSettings settings = resolve(Map.of("MAAS_DATA_DIR", dir.toString(),
                "MAAS_DB_URL", "postgresql://maas:secret@db.internal:5433/maas",
                "MAAS_KAFKA_BOOTSTRAP", "kafka-0:9092,kafka-1:9092",
                "MAAS_HTTP_PORT", "9090"));
        assertEquals("jdbc:postgresql://db.internal:5433/maas?user=maas&password=secret",
                settings.externalDatabase().orElseThrow().jdbcUrl());
        assertEquals("kafka-0:9092,kafka-1:9092", settings.quarkusProperties().get("kafka.bootstrap.servers"));
        assertEquals("9090", settings.quarkusProperties().get("quarkus.http.port"));
    }

    @Test
    void quarkusKeysCountAsExternalConfiguration() {
        Properties system = new Properties();
        system.setProperty("quarkus.datasource.jdbc.url", "jdbc:postgresql://localhost:5432/x");
        LaunchSettings settings = LaunchSettings.resolve(Map.of("MAAS_DATA_DIR", dir.toString()), system);
        assertEquals("jdbc:postgresql://localhost:5432/x", settings.externalDatabase().orElseThrow().jdbcUrl());
    }

    @Test
    void aNonNumericPortIsRefusedNamingTheKey() {
        var e = assertThrows(ConfigurationException.class,
                () -> resolve(Map.of("MAAS_DATA_DIR", dir.toString(), "MAAS_HTTP_PORT", "eighty")));
        assertEquals("MAAS_HTTP_PORT", e.key());
        assertTrue(e.getMessage().startsWith("MAAS_HTTP_PORT: "));
    }

    @Test
    void aPortOutOfRangeIsRefused() {
        var e = assertThrows(ConfigurationException.class,
                () -> resolve(Map.of("MAAS_DATA_DIR", dir.toString(), "MAAS_HTTP_PORT", "70000")));
        assertEquals("MAAS_HTTP_PORT", e.key());
    }

    @Test
    void aDatabaseUrlThatIsNotPostgresIsRefusedWithoutEchoingIt() {
        var e = assertThrows(ConfigurationException.class,
                () -> resolve(Map.of("MAAS_DATA_DIR", dir.toString(), "MAAS_DB_URL", "mysql://root:hunter2@db/x")));
        assertEquals("MAAS_DB_URL", e.key());
        assertFalse(e.getMessage().contains("hunter2"));
    }

    @Test
    void aBadKafkaBootstrapIsRefused() {
        var e = assertThrows(ConfigurationException.class,
                () -> resolve(Map.of("MAAS_DATA_DIR", dir.toString(), "MAAS_KAFKA_BOOTSTRAP", "kafka-without-port")));
        assertEquals("MAAS_KAFKA_BOOTSTRAP", e.key());
    }

    @Test
    void aDataDirThatIsAFileIsRefused() throws IOException {
        Path file = Files.createFile(dir.resolve("a-file"));
        var e = assertThrows(ConfigurationException.class, () -> resolve(Map.of("MAAS_DATA_DIR", file.toString())));
        assertEquals("MAAS_DATA_DIR", e.key());
    }

    @Test
    void aMalformedBootstrapKeyIsRefused() {
        var e = assertThrows(ConfigurationException.class,
                () -> resolve(Map.of("MAAS_DATA_DIR", dir.toString(), "MAAS_BOOTSTRAP_ADMIN_KEY", "password")));
        assertEquals("MAAS_BOOTSTRAP_ADMIN_KEY", e.key());
    }

    @Test
    void oidcIsOffUnlessAnOidcUrlIsSet() {
        assertFalse(resolve(Map.of("MAAS_DATA_DIR", dir.toString())).quarkusProperties()
                .containsKey("quarkus.oidc.tenant-enabled"));
        LaunchSettings settings = resolve(Map.of("MAAS_DATA_DIR", dir.toString(),
                "MAAS_OIDC_URL", "https://sso.example.com/realms/maas/"));
        assertEquals("https://sso.example.com/realms/maas", settings.quarkusProperties().get("quarkus.oidc.auth-server-url"));
        assertEquals("true", settings.quarkusProperties().get("quarkus.oidc.tenant-enabled"));
        // The console's single sign-on uses the same realm.
        assertEquals("https://sso.example.com/realms/maas",
                settings.quarkusProperties().get("quarkus.oidc.console.auth-server-url"));
        assertEquals("true", settings.quarkusProperties().get("quarkus.oidc.console.tenant-enabled"));
    }

    @Test
    void aMalformedOidcUrlIsRefused() {
        var e = assertThrows(ConfigurationException.class,
                () -> resolve(Map.of("MAAS_DATA_DIR", dir.toString(), "MAAS_OIDC_URL", "sso.example.com")));
        assertEquals("MAAS_OIDC_URL", e.key());
    }
}
