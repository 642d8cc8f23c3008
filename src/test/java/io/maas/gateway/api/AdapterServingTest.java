package io.maas.gateway.api;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.time.Duration;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.maas.billing.usage.UsageRecord;
import io.maas.testing.EmbeddedServicesResource;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;

/** LoRA adapters through the API: listed under their base, addressed by id or base:adapter, metered with provider. */
@QuarkusTest
@QuarkusTestResource(value = EmbeddedServicesResource.class, restrictToAnnotatedClass = false)
class AdapterServingTest {
    private static final String ADMIN = "Bearer " + EmbeddedServicesResource.ADMIN_KEY;
    private static final String ADAPTER = "demo-tiny-lora";

    private static Response complete(String model) {
        return given().header("Authorization", ADMIN).contentType(ContentType.JSON)
                .body("{\"model\":\"" + model + "\",\"prompt\":\"Once upon a time\",\"max_tokens\":12,\"temperature\":0}")
                .post("/v1/completions");
    }

    @Test
    void theDemoAdapterIsListedUnderItsBase() {
        given().header("Authorization", ADMIN).get("/v1/models/" + ADAPTER)
                .then().statusCode(200)
                .body("id", equalTo(ADAPTER))
                .body("parent", equalTo("demo-tiny"))
                .body("owned_by", equalTo("maas"));
    }

    @Test
    void anAdapterChangesTheAnswerAndBothAddressesReachIt() {
        String base = complete("demo-tiny").then().statusCode(200).extract().path("choices[0].text");
        Response byId = complete(ADAPTER);
        byId.then().statusCode(200).body("model", equalTo(ADAPTER));
        String adapted = byId.path("choices[0].text");
        String byPair = complete("demo-tiny:" + ADAPTER).then().statusCode(200).extract().path("choices[0].text");
        assertEquals(adapted, byPair);
        assertNotEquals(base, adapted, "the adapter's deltas change greedy decoding");

        String hex = ((String) byId.path("id")).substring("cmpl-".length());
        UUID eventId = UUID.fromString(hex.replaceFirst("(.{8})(.{4})(.{4})(.{4})(.{12})", "$1-$2-$3-$4-$5"));
        UsageRecord row = await().atMost(Duration.ofSeconds(30)).until(
                () -> QuarkusTransaction.requiringNew().call(() -> UsageRecord.<UsageRecord>findById(eventId)),
                r -> r != null);
        assertEquals("demo-tiny", row.baseModel);
        assertEquals(ADAPTER, row.adapter);
        assertEquals("maas", row.provider);
    }

    @Test
    void anUnknownAdapterOrAMismatchedBaseIsModelNotFound() {
        complete("demo-tiny:no-such-adapter").then().statusCode(404).body("error.code", equalTo("model_not_found"));
        complete("no-such-base:" + ADAPTER).then().statusCode(404).body("error.code", equalTo("model_not_found"));
    }
}
