package io.maas.gateway.admission;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;

import java.time.Instant;
import java.util.Set;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.maas.gateway.auth.ApiKeyService;
import io.maas.gateway.auth.Roles;
import io.maas.gateway.auth.TenantEntity;
import io.maas.testing.EmbeddedServicesResource;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;

/** Per-key limits through HTTP: headers on every response count down, then 429 with Retry-After. */
@QuarkusTest
@QuarkusTestResource(value = EmbeddedServicesResource.class, restrictToAnnotatedClass = false)
class RateLimitsTest {
    @Inject
    ApiKeyService keys;

    private String limitedKey() {
        QuarkusTransaction.requiringNew().run(() -> {
            if (TenantEntity.findById("limited") == null) {
                TenantEntity t = new TenantEntity();
                t.id = "limited";
                t.name = "Limited";
                t.createdAt = Instant.now();
                t.persist();
            }
        });
        return "Bearer " + keys.create("limited", "limited key", Set.of(Roles.TENANT_MEMBER)).secret();
    }

    @Test
    void requestsPerMinuteCountDownThenRefuseWithRateLimitExceeded() {
        String key = limitedKey();
        String body = "{\"model\":\"demo-tiny\",\"prompt\":\"Hi\",\"max_tokens\":3,\"temperature\":0}";
        given().header("Authorization", key).contentType(ContentType.JSON).body(body).post("/v1/completions")
                .then().statusCode(200)
                .header("x-ratelimit-limit-requests", "2")
                .header("x-ratelimit-remaining-requests", "1")
                .header("x-ratelimit-limit-tokens", "20000")
                .header("x-ratelimit-remaining-tokens", notNullValue())
                .header("x-ratelimit-reset-requests", notNullValue());
        given().header("Authorization", key).contentType(ContentType.JSON).body(body).post("/v1/completions")
                .then().statusCode(200)
                .header("x-ratelimit-remaining-requests", "0");
        given().header("Authorization", key).contentType(ContentType.JSON).body(body).post("/v1/completions")
                .then().statusCode(429)
                .header("Retry-After", notNullValue())
                .header("x-ratelimit-remaining-requests", "0")
                .body("error.code", equalTo("rate_limit_exceeded"))
                .body("error.type", equalTo("requests"));
    }

    @Test
    void aRequestLargerThanTheTokenLimitIsRefusedNamingMaxTokens() {
        given().header("Authorization", limitedKey()).contentType(ContentType.JSON)
                .body("{\"model\":\"demo-tiny\",\"prompt\":\"Hi\",\"max_tokens\":4000,\"n\":8}")
                .post("/v1/completions")
                .then().statusCode(429)
                .body("error.code", equalTo("rate_limit_exceeded"))
                .body("error.param", equalTo("max_tokens"));
    }
}
