package io.maas.gateway.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;

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

/** Bad input on the OpenAI API gets the right status and an OpenAI error object, never a stack trace. */
@QuarkusTest
@QuarkusTestResource(value = EmbeddedServicesResource.class, restrictToAnnotatedClass = false)
class OpenAiErrorsTest {
    private static final String ADMIN = "Bearer " + EmbeddedServicesResource.ADMIN_KEY;

    @Inject
    ApiKeyService keys;

    @Test
    void malformedJsonIs400() {
        given().header("Authorization", ADMIN).contentType(ContentType.JSON).body("{\"model\": \"demo-tiny\",")
                .post("/v1/completions")
                .then().statusCode(400)
                .body("error.type", equalTo("invalid_request_error"))
                .body("error.message", containsString("parse the JSON"))
                .body("error.param", nullValue());
    }

    @Test
    void missingModelIs400NamingModel() {
        given().header("Authorization", ADMIN).contentType(ContentType.JSON).body("{\"prompt\":\"hi\"}")
                .post("/v1/completions")
                .then().statusCode(400)
                .body("error.type", equalTo("invalid_request_error"))
                .body("error.param", equalTo("model"));
    }

    @Test
    void unknownModelIs404ModelNotFound() {
        given().header("Authorization", ADMIN).contentType(ContentType.JSON)
                .body("{\"model\":\"no-such-model\",\"prompt\":\"hi\"}")
                .post("/v1/completions")
                .then().statusCode(404)
                .body("error.code", equalTo("model_not_found"))
                .body("error.param", equalTo("model"));
    }

    @Test
    void wrongTypeIs400NamingTheParam() {
        given().header("Authorization", ADMIN).contentType(ContentType.JSON)
                .body("{\"model\":\"demo-tiny\",\"prompt\":\"hi\",\"max_tokens\":\"many\"}")
                .post("/v1/completions")
                .then().statusCode(400)
                .body("error.param", equalTo("max_tokens"));
    }

    @Test
    void outOfRangeMaxTokensIs400() {
        given().header("Authorization", ADMIN).contentType(ContentType.JSON)
                .body("{\"model\":\"demo-tiny\",\"prompt\":\"hi\",\"max_tokens\":0}")
                .post("/v1/completions")
                .then().statusCode(400)
                .body("error.param", equalTo("max_tokens"))
                .body("error.code", equalTo("invalid_value"));
    }

    @Test
    void missingApiKeyIs401() {
        given().contentType(ContentType.JSON).body("{\"model\":\"demo-tiny\",\"prompt\":\"hi\"}")
                .post("/v1/completions")
                .then().statusCode(401)
                .header("WWW-Authenticate", notNullValue())
                .body("error.code", equalTo("missing_api_key"));
    }

    @Test
    void invalidApiKeyIs401() {
        given().header("Authorization", "Bearer sk-not-a-real-key-000000000000000000").contentType(ContentType.JSON)
                .body("{\"model\":\"demo-tiny\",\"prompt\":\"hi\"}")
                .post("/v1/completions")
                .then().statusCode(401)
                .body("error.code", equalTo("invalid_api_key"))
                .body("error.message", not(containsString("sk-not-a-real-key")));
    }

    @Test
    void everyResponseHasARequestIdAndErrorsNameIt() {
        String id = given().header("Authorization", ADMIN).contentType(ContentType.JSON)
                .body("{\"model\":\"no-such-model\",\"prompt\":\"hi\"}").post("/v1/completions")
                .then().statusCode(404).header("x-request-id", org.hamcrest.Matchers.startsWith("req_"))
                .extract().header("x-request-id");
        given().header("Authorization", ADMIN).contentType(ContentType.JSON)
                .body("{\"model\":\"no-such-model\",\"prompt\":\"hi\"}").post("/v1/completions")
                .then().statusCode(404).body("error.message", not(containsString(id)));
        given().header("Authorization", ADMIN).header("x-request-id", "abc-123").contentType(ContentType.JSON)
                .body("{\"model\":\"no-such-model\",\"prompt\":\"hi\"}").post("/v1/completions")
                .then().statusCode(404).header("x-request-id", "abc-123")
                .body("error.message", containsString("(request id abc-123)"));
        given().header("Authorization", ADMIN).header("x-request-id", "not well formed!").get("/v1/models")
                .then().statusCode(200).header("x-request-id", org.hamcrest.Matchers.startsWith("req_"));
    }

    @Test
    void anOversizedBodyIs413() {
        String big = "{\"model\":\"demo-tiny\",\"prompt\":\"" + "a".repeat(1_100_000) + "\"}";
        given().header("Authorization", ADMIN).contentType(ContentType.JSON).body(big).post("/v1/completions")
                .then().statusCode(413)
                .body("error.type", equalTo("invalid_request_error"))
                .body("error.code", equalTo("request_too_large"));
    }

    @Test
    void unknownUrlIs404ErrorObject() {
        given().header("Authorization", ADMIN).get("/v1/nothing-here")
                .then().statusCode(404)
                .body("error.type", equalTo("invalid_request_error"));
    }

    @Test
    void adminUsageNeedsThePlatformAdminRole() {
        QuarkusTransaction.requiringNew().run(() -> {
            if (TenantEntity.findById("acme") == null) {
                TenantEntity acme = new TenantEntity();
                acme.id = "acme";
                acme.name = "Acme";
                acme.createdAt = java.time.Instant.now();
                acme.persist();
            }
        });
        String member = keys.create("acme", "member key", Set.of(Roles.TENANT_MEMBER)).secret();
        given().header("Authorization", "Bearer " + member).get("/admin/usage")
                .then().statusCode(403)
                .body("error.type", equalTo("permission_error"));
        given().get("/admin/usage").then().statusCode(401);
        given().header("Authorization", ADMIN).get("/admin/usage").then().statusCode(200);
        given().header("Authorization", "Bearer " + member).get("/v1/models")
                .then().statusCode(200)
                .body("object", equalTo("list"))
                .body("data[0].id", equalTo("demo-tiny"));
    }
}
