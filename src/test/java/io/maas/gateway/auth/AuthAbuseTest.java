package io.maas.gateway.auth;

import static io.maas.testing.Api.ADMIN_KEY;
import static io.maas.testing.Api.as;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import io.maas.testing.Api;
import io.maas.testing.EmbeddedServicesResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

/** Abuse bounds: failed authentication is rate-limited per source; secrets never reach the logs. */
@QuarkusTest
@QuarkusTestResource(value = EmbeddedServicesResource.class, restrictToAnnotatedClass = false)
class AuthAbuseTest {
    private static final String COMPLETION = "{\"model\":\"demo-tiny\",\"prompt\":\"hi\",\"max_tokens\":2}";

    @ConfigProperty(name = "maas.auth.failure-limit")
    int limit;

    private static String randomSource() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        return "198.51." + r.nextInt(1, 255) + "." + r.nextInt(1, 255);
    }

    @Test
    void sourceWithTooManyFailedAuthenticationsGets429WithRetryAfter() {
        String source = randomSource();
        for (int i = 0; i < limit; i++) {
            as("sk-wrong-key-" + i + "-0000000000000000000000").header("X-Forwarded-For", source)
                    .get("/v1/models").then().statusCode(401).body("error.code", equalTo("invalid_api_key"));
        }
        as("sk-wrong-key-again-0000000000000000000000").header("X-Forwarded-For", source).get("/v1/models")
                .then().statusCode(429)
                .header("Retry-After", notNullValue())
                .body("error.type", equalTo("rate_limit_error"))
                .body("error.code", equalTo("too_many_auth_failures"));
        // Even a valid key is refused from that source until the window ends; other sources are unaffected.
        as(ADMIN_KEY).header("X-Forwarded-For", source).get("/v1/models").then().statusCode(429);
        as(ADMIN_KEY).header("X-Forwarded-For", randomSource()).get("/v1/models").then().statusCode(200);
        // Bad OIDC-style tokens count too (they fail as 401 and are recorded the same way).
        as("not-an-api-key").header("X-Forwarded-For", source).get("/v1/models").then().statusCode(429);
    }

    @Test
    void requestBodiesAndHeadersAreBounded() {
        // quarkus.http.limits.max-body-size=1M, max-header-size=16K (application.properties)
        String big = "{\"model\":\"demo-tiny\",\"prompt\":\"" + "a".repeat(1_100_000) + "\"}";
        as(ADMIN_KEY).body(big).post("/v1/completions").then().statusCode(413);
        as(ADMIN_KEY).header("X-Padding", "p".repeat(20_000)).get("/v1/models").then().statusCode(431);
    }

    @Test
    void createdSecretNeverAppearsInTheLogs() {
        Capture capture = new Capture();
        Logger root = Logger.getLogger("");
        Logger maas = Logger.getLogger("io.maas");
        Level maasLevel = maas.getLevel();
        root.addHandler(capture);
        maas.setLevel(Level.FINEST);
        String secret;
        String id;
        try {
            String tenant = Api.newTenant("logs");
            String tenantAdmin = Api.newKey(tenant, "tenant-admin");
            secret = as(tenantAdmin).body(Map.of("name", "logged?")).post("/v1/keys").then().statusCode(201)
                    .extract().path("secret");
            id = Api.keyId(tenant, secret);
            as(secret).body(COMPLETION).post("/v1/completions").then().statusCode(200);
            as(secret).get("/v1/models").then().statusCode(200);
            as(secret + "x").get("/v1/models").then().statusCode(401);
            as(tenantAdmin).body(Map.of("name", "renamed")).patch("/v1/keys/" + id).then().statusCode(200);
            as(tenantAdmin).delete("/v1/keys/" + id).then().statusCode(200);
            as(secret).get("/v1/models").then().statusCode(401);
        } finally {
            root.removeHandler(capture);
            maas.setLevel(maasLevel);
        }
        assertTrue(capture.records.stream().anyMatch(l -> l.contains(id) && l.contains("created")),
                "the capture saw the application's record of the key's creation");
        assertTrue(capture.records.stream().anyMatch(l -> l.contains(id) && l.contains("revoked")));
        String hidden = secret.substring(ApiKeySecrets.visiblePrefix(secret).length());
        for (String line : capture.records) {
            assertFalse(line.contains(hidden), "a log record holds the secret: " + line);
        }
        assertTrue(capture.records.stream().noneMatch(l -> l.contains(secret)));
    }

    /** Keeps every record's fully formatted text, parameters and exception included. */
    static final class Capture extends Handler {
        final List<String> records = new java.util.concurrent.CopyOnWriteArrayList<>();

        Capture() {
            setLevel(Level.ALL);
        }

        @Override
        public void publish(LogRecord record) {
            StringBuilder text = new StringBuilder(String.valueOf(record.getMessage()));
            if (record.getParameters() != null) {
                for (Object p : record.getParameters()) {
                    text.append(' ').append(p);
                }
            }
            Throwable t = record.getThrown();
            while (t != null) {
                text.append(' ').append(t);
                t = t.getCause();
            }
            records.add(record.getLoggerName() + ": " + text);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }
}
