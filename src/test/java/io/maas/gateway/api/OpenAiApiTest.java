package io.maas.gateway.api;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.maas.billing.usage.UsageRecord;
import io.maas.gateway.inference.ModelRegistry;
import io.maas.inference.engine.ChatMessage;
import io.maas.inference.engine.LlamaEngine;
import io.maas.testing.EmbeddedServicesResource;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;

/** The OpenAI wire format end to end: chat, streaming, sampling parameters, n, logprobs, stop, cancellation. */
@QuarkusTest
@QuarkusTestResource(value = EmbeddedServicesResource.class, restrictToAnnotatedClass = false)
class OpenAiApiTest {
    private static final String ADMIN = "Bearer " + EmbeddedServicesResource.ADMIN_KEY;
    private static final ObjectMapper JSON = new ObjectMapper();

    @Inject
    ModelRegistry models;

    @TestHTTPResource("/")
    java.net.URL base;

    private static JsonNode post(String path, String body) throws Exception {
        String response = given().header("Authorization", ADMIN).contentType(ContentType.JSON).body(body).post(path)
                .then().statusCode(200).extract().asString();
        return JSON.readTree(response);
    }

    /** The data lines of an SSE body; the last one must be [DONE]. */
    private static List<JsonNode> events(String body) throws Exception {
        List<JsonNode> events = new ArrayList<>();
        String[] blocks = body.split("\n\n");
        for (int i = 0; i < blocks.length; i++) {
            assertTrue(blocks[i].startsWith("data: "), "every event is a data line: " + blocks[i]);
            String data = blocks[i].substring("data: ".length());
            if (i == blocks.length - 1) {
                assertEquals("[DONE]", data);
            } else {
                events.add(JSON.readTree(data));
            }
        }
        return events;
    }

    private static String stream(String path, String body) {
        return given().header("Authorization", ADMIN).contentType(ContentType.JSON).body(body).post(path)
                .then().statusCode(200).contentType("text/event-stream").extract().asString();
    }

    @Test
    void chatIsRenderedThroughTheTemplateAndUsageCountsTheTemplateTokens() throws Exception {
        JsonNode r = post("/v1/chat/completions", """
                {"model":"demo-tiny","max_tokens":6,"temperature":0,
                 "messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hello there"}]}""");
        assertEquals("chat.completion", r.get("object").asText());
        assertTrue(r.get("id").asText().startsWith("chatcmpl-"));
        assertEquals("assistant", r.at("/choices/0/message/role").asText());
        LlamaEngine engine = models.find("demo-tiny").orElseThrow();
        int expectedPrompt = engine.countTokens(engine.renderChat(List.of(new ChatMessage("system", "Be brief."),
                new ChatMessage("user", "Hello there"))));
        assertEquals(expectedPrompt, r.at("/usage/prompt_tokens").asInt());
        assertTrue(expectedPrompt > engine.countTokens("Be brief.Hello there"), "template tokens are counted");
        assertEquals(r.at("/usage/prompt_tokens").asInt() + r.at("/usage/completion_tokens").asInt(),
                r.at("/usage/total_tokens").asInt());
    }

    @Test
    void streamedChatDeltasAddUpToTheWholeAnswer() throws Exception {
        String request = """
                {"model":"demo-tiny","max_tokens":12,"temperature":0,%s
                 "messages":[{"role":"user","content":"Tell me a story"}]}""";
        JsonNode whole = post("/v1/chat/completions", request.formatted(""));
        List<JsonNode> chunks = events(stream("/v1/chat/completions",
                request.formatted("\"stream\":true,\"stream_options\":{\"include_usage\":true},")));

        assertEquals("assistant", chunks.get(0).at("/choices/0/delta/role").asText());
        StringBuilder text = new StringBuilder();
        String finish = null;
        for (JsonNode c : chunks) {
            assertEquals("chat.completion.chunk", c.get("object").asText());
            assertEquals(chunks.get(0).get("id"), c.get("id"), "all chunks share the id");
            if (c.get("choices").size() > 0) {
                text.append(c.at("/choices/0/delta/content").asText(""));
                if (!c.at("/choices/0/finish_reason").isNull()) {
                    finish = c.at("/choices/0/finish_reason").asText();
                }
            }
        }
        JsonNode usageChunk = chunks.get(chunks.size() - 1);
        assertEquals(0, usageChunk.get("choices").size(), "the usage chunk has no choices");
        assertEquals(whole.at("/choices/0/message/content").asText(), text.toString());
        assertEquals(whole.at("/choices/0/finish_reason").asText(), finish);
        assertEquals(whole.get("usage"), usageChunk.get("usage"));
    }

    @Test
    void streamedCompletionEndsWithFinishReasonAndDone() throws Exception {
        List<JsonNode> chunks = events(stream("/v1/completions",
                "{\"model\":\"demo-tiny\",\"prompt\":\"Once\",\"max_tokens\":5,\"temperature\":0,\"stream\":true}"));
        JsonNode last = chunks.get(chunks.size() - 1);
        assertEquals("length", last.at("/choices/0/finish_reason").asText());
        assertNull(last.get("usage"), "no usage chunk unless asked for");
        chunks.forEach(c -> assertEquals("text_completion", c.get("object").asText()));
    }

    @Test
    void theSameSeedGivesTheSameSampledText() throws Exception {
        String body = "{\"model\":\"demo-tiny\",\"prompt\":\"The cat\",\"max_tokens\":16,\"temperature\":1.0,\"seed\":%d}";
        String a = post("/v1/completions", body.formatted(7)).at("/choices/0/text").asText();
        String b = post("/v1/completions", body.formatted(7)).at("/choices/0/text").asText();
        assertEquals(a, b);
    }

    @Test
    void aStopSequenceEndsTheTextBeforeIt() throws Exception {
        String full = post("/v1/completions",
                "{\"model\":\"demo-tiny\",\"prompt\":\"Hello\",\"max_tokens\":24,\"temperature\":0}")
                .at("/choices/0/text").asText();
        String stop = full.substring(4, 6);
        JsonNode stopped = post("/v1/completions", JSON.writeValueAsString(JSON.createObjectNode()
                .put("model", "demo-tiny").put("prompt", "Hello").put("max_tokens", 24).put("temperature", 0)
                .set("stop", JSON.createArrayNode().add(stop))));
        assertEquals(full.substring(0, full.indexOf(stop)), stopped.at("/choices/0/text").asText());
        assertEquals("stop", stopped.at("/choices/0/finish_reason").asText());
    }

    @Test
    void severalChoicesAreReturnedAndTheirTokensSummed() throws Exception {
        JsonNode r = post("/v1/completions",
                "{\"model\":\"demo-tiny\",\"prompt\":\"Hi\",\"max_tokens\":4,\"n\":3,\"temperature\":1,\"seed\":1}");
        assertEquals(3, r.get("choices").size());
        for (int i = 0; i < 3; i++) {
            assertEquals(i, r.at("/choices/" + i + "/index").asInt());
        }
        assertEquals(12, r.at("/usage/completion_tokens").asInt());
    }

    @Test
    void chatLogprobsListEveryTokenWithTheAskedAlternatives() throws Exception {
        JsonNode r = post("/v1/chat/completions", """
                {"model":"demo-tiny","max_tokens":5,"temperature":0,"logprobs":true,"top_logprobs":2,
                 "messages":[{"role":"user","content":"Hi"}]}""");
        JsonNode content = r.at("/choices/0/logprobs/content");
        assertEquals(5, content.size());
        for (JsonNode entry : content) {
            assertTrue(entry.get("logprob").asDouble() <= 0);
            assertEquals(2, entry.get("top_logprobs").size());
            assertTrue(entry.at("/top_logprobs/0/logprob").asDouble() >= entry.at("/top_logprobs/1/logprob").asDouble());
        }
    }

    @Test
    void embeddingsComeAsFloatsOrBase64AndCountInputTokens() throws Exception {
        String body = "{\"model\":\"" + EmbeddedServicesResource.EMBEDDING_MODEL
                + "\",\"input\":[\"a cat\",\"a dog\"]%s}";
        JsonNode floats = post("/v1/embeddings", body.formatted(""));
        JsonNode b64 = post("/v1/embeddings", body.formatted(",\"encoding_format\":\"base64\""));
        assertEquals("list", floats.get("object").asText());
        assertEquals(2, floats.get("data").size());
        assertEquals(1, floats.at("/data/1/index").asInt());
        byte[] raw = java.util.Base64.getDecoder().decode(b64.at("/data/0/embedding").asText());
        java.nio.FloatBuffer decoded = java.nio.ByteBuffer.wrap(raw).order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        assertEquals(384, decoded.remaining());
        for (int i = 0; i < 384; i++) {
            assertEquals(floats.at("/data/0/embedding/" + i).floatValue(), decoded.get(i), 1e-6);
        }
        assertEquals(8, floats.at("/usage/prompt_tokens").asInt(), "[CLS] a cat [SEP] + [CLS] a dog [SEP]");
        given().header("Authorization", ADMIN).contentType(ContentType.JSON)
                .body("{\"model\":\"demo-tiny\",\"input\":\"x\"}").post("/v1/embeddings")
                .then().statusCode(400).body("error.param", equalTo("model"));
        given().header("Authorization", ADMIN).contentType(ContentType.JSON)
                .body("{\"model\":\"" + EmbeddedServicesResource.EMBEDDING_MODEL + "\",\"input\":[]}")
                .post("/v1/embeddings").then().statusCode(400).body("error.param", equalTo("input"));
    }

    @Test
    void badParametersAre400NamingTheParam() {
        given().header("Authorization", ADMIN).contentType(ContentType.JSON)
                .body("{\"model\":\"demo-tiny\",\"prompt\":\"x\",\"temperature\":5}").post("/v1/completions")
                .then().statusCode(400).body("error.param", equalTo("temperature"));
        given().header("Authorization", ADMIN).contentType(ContentType.JSON)
                .body("{\"model\":\"demo-tiny\",\"messages\":[{\"role\":\"robot\",\"content\":\"x\"}]}")
                .post("/v1/chat/completions")
                .then().statusCode(400).body("error.param", equalTo("messages[0].role"));
        given().header("Authorization", ADMIN).contentType(ContentType.JSON)
                .body("{\"model\":\"demo-tiny\",\"messages\":[]}").post("/v1/chat/completions")
                .then().statusCode(400).body("error.param", equalTo("messages"));
        given().header("Authorization", ADMIN).contentType(ContentType.JSON)
                .body("{\"model\":\"demo-tiny\",\"prompt\":\"x\",\"n\":99}").post("/v1/completions")
                .then().statusCode(400).body("error.param", equalTo("n"));
        given().header("Authorization", ADMIN).contentType(ContentType.JSON)
                .body("{\"model\":\"demo-tiny\",\"prompt\":\"x\",\"stop\":[1,2]}").post("/v1/completions")
                .then().statusCode(400).body("error.param", equalTo("stop"));
    }

    @Test
    void aClientThatDisconnectsMidStreamCancelsAndItsTokensAreStillMetered() throws Exception {
        String body = "{\"model\":\"demo-tiny\",\"prompt\":\"Go on\",\"max_tokens\":2000,\"temperature\":0,\"stream\":true}";
        String id;
        try (Socket socket = new Socket("127.0.0.1", base.getPort())) {
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/completions HTTP/1.1\r\nHost: localhost\r\nAuthorization: " + ADMIN
                    + "\r\nContent-Type: application/json\r\nContent-Length: "
                    + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
            out.flush();
            InputStream in = socket.getInputStream();
            StringBuilder seen = new StringBuilder();
            byte[] buffer = new byte[4096];
            while (!seen.toString().contains("\"id\":\"cmpl-")) {
                int n = in.read(buffer);
                assertTrue(n > 0, "the stream started");
                seen.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
            }
            int at = seen.indexOf("\"id\":\"cmpl-") + "\"id\":\"cmpl-".length();
            id = seen.substring(at, at + 32);
        } // closing the socket is the client going away
        UUID eventId = UUID.fromString(id.replaceFirst("(.{8})(.{4})(.{4})(.{4})(.{12})", "$1-$2-$3-$4-$5"));
        UsageRecord row = await().atMost(Duration.ofSeconds(60))
                .until(() -> QuarkusTransaction.requiringNew().call(() -> UsageRecord.<UsageRecord>findById(eventId)),
                        r -> r != null);
        assertEquals("cancelled", row.status);
        assertTrue(row.tokensCompletion > 0 && row.tokensCompletion < 2000,
                "generation stopped early and what was generated is metered: " + row.tokensCompletion);
        assertNotNull(row.ttftMs);
        assertFalse(row.tokensPrompt == 0);
    }
}
