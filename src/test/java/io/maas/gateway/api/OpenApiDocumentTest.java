package io.maas.gateway.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.maas.testing.EmbeddedServicesResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

/** The OpenAPI document describes the public endpoints, and Swagger UI is served. */
@QuarkusTest
@QuarkusTestResource(value = EmbeddedServicesResource.class, restrictToAnnotatedClass = false)
class OpenApiDocumentTest {
    private static final ObjectMapper JSON = new ObjectMapper();

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

    @Test
    void thePublicEndpointsCarryRequestAndResponseExamples() throws Exception {
        JsonNode doc = JSON.readTree(given().get("/q/openapi?format=json").then().statusCode(200).extract().asString());
        JsonNode paths = doc.path("paths");
        for (String path : List.of("/v1/completions", "/v1/chat/completions", "/v1/embeddings")) {
            JsonNode post = paths.path(path).path("post");
            assertExamples(path + " request", post.path("requestBody").path("content").path("application/json"));
            assertExamples(path + " 200", post.path("responses").path("200").path("content").path("application/json"));
        }
        for (String path : List.of("/v1/completions", "/v1/chat/completions")) {
            JsonNode responses = paths.path(path).path("post").path("responses");
            for (String status : List.of("400", "404", "413", "429")) {
                JsonNode examples = assertExamples(path + " " + status,
                        responses.path(status).path("content").path("application/json"));
                examples.forEach(e -> assertTrue(parse(e).has("error"), path + " " + status + " is an error object"));
            }
        }
        assertExamples("/v1/chat/completions stream", paths.path("/v1/chat/completions").path("post").path("responses")
                .path("200").path("content").path("text/event-stream"));
        assertExamples("/v1/models 200", paths.path("/v1/models").path("get").path("responses").path("200")
                .path("content").path("application/json"));
        assertExamples("/v1/models/{id} 200", paths.path("/v1/models/{id}").path("get").path("responses").path("200")
                .path("content").path("application/json"));
        // The completion example is a request this server accepts.
        JsonNode example = paths.path("/v1/completions").path("post").path("requestBody").path("content")
                .path("application/json").path("examples").elements().next().path("value");
        String exampleBody = example.isTextual() ? example.asText() : example.toString();
        given().header("Authorization", "Bearer " + EmbeddedServicesResource.ADMIN_KEY)
                .contentType(io.restassured.http.ContentType.JSON).body(exampleBody).post("/v1/completions")
                .then().statusCode(200);
    }

    /** The examples of a media type: at least one, and every JSON one parses. */
    private static JsonNode assertExamples(String where, JsonNode mediaType) {
        JsonNode examples = mediaType.path("examples");
        assertTrue(examples.isObject() && examples.size() > 0, where + " has examples: " + mediaType);
        examples.forEach(e -> {
            JsonNode value = e.path("value");
            assertTrue(value.isContainerNode() || value.isTextual() && !value.asText().isBlank(), where + ": " + e);
            if (!where.endsWith("stream")) {
                parse(e);
            }
        });
        return examples;
    }

    private static JsonNode parse(JsonNode example) {
        if (example.path("value").isContainerNode()) {
            return example.path("value");
        }
        try {
            return JSON.readTree(example.path("value").asText());
        } catch (java.io.IOException e) {
            throw new AssertionError("example is not JSON: " + example, e);
        }
    }
}
