package io.maas.gateway.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;

import org.junit.jupiter.api.Test;

import io.maas.testing.EmbeddedServicesResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

/** The OpenAPI document describes the public endpoints, and Swagger UI is served. */
@QuarkusTest
@QuarkusTestResource(value = EmbeddedServicesResource.class, restrictToAnnotatedClass = false)
class OpenApiDocumentTest {
    @Test
    void theDocumentListsThePublicEndpoints() {
        given().get("/q/openapi?format=json").then().statusCode(200)
                .body(containsString("\"/v1/completions\""))
                .body(containsString("\"/v1/chat/completions\""))
                .body(containsString("\"/v1/models\""))
                .body(containsString("\"/admin/usage\""))
                .body(containsString("\"ChatCompletionRequest\""))
                .body(containsString("\"max_completion_tokens\""))
                .body(org.hamcrest.Matchers.not(containsString("\"/console")));
        given().get("/q/swagger-ui/").then().statusCode(200);
    }
}
