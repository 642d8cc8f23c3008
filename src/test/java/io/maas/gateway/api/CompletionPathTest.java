package io.maas.gateway.api;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import io.maas.billing.metering.UsageData;
import io.maas.billing.metering.UsageEvent;
import io.maas.billing.metering.UsageEventCodec;
import io.maas.billing.metering.UsageEventSchema;
import io.maas.billing.metering.UsageStatus;
import io.maas.billing.usage.UsageRecord;
import io.maas.testing.EmbeddedServicesResource;
import io.maas.testing.KafkaTestClient;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;

/**
 * The whole path for real: HTTP with an API key, the DJL engine on the generated demo model, a usage
 * event through the embedded Kafka broker, the billing consumer, and the row in embedded PostgreSQL.
 */
@QuarkusTest
@QuarkusTestResource(value = EmbeddedServicesResource.class, restrictToAnnotatedClass = false)
class CompletionPathTest {
    private static final String ADMIN = "Bearer " + EmbeddedServicesResource.ADMIN_KEY;
    private static final Duration BILLING_WAIT = Duration.ofSeconds(30);

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @Test
    void completionIsAnsweredWithUsageAndRecordedOnceInTheLedger() {
        String traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        Response response = given().header("Authorization", ADMIN).contentType(ContentType.JSON)
                .header("traceparent", "00-" + traceId + "-00f067aa0ba902b7-01")
                .header("x-request-id", "client-request-42")
                .body("{\"model\":\"demo-tiny\",\"prompt\":\"Once upon a time\",\"max_tokens\":8}")
                .post("/v1/completions")
                .then().statusCode(200)
                .header("x-request-id", "client-request-42")
                .body("object", equalTo("text_completion"))
                .body("model", equalTo("demo-tiny"))
                .body("choices[0].index", equalTo(0))
                .body("choices[0].text", notNullValue())
                .body("choices[0].finish_reason", notNullValue())
                .body("usage.prompt_tokens", greaterThan(0))
                .body("usage.completion_tokens", greaterThan(0))
                .extract().response();
        int promptTokens = response.path("usage.prompt_tokens");
        int completionTokens = response.path("usage.completion_tokens");
        assertEquals(promptTokens + completionTokens, (int) response.path("usage.total_tokens"));
        UUID eventId = eventIdOf(response.path("id"));

        UsageRecord row = await().atMost(BILLING_WAIT).until(() -> findRecord(eventId), r -> r != null);
        assertEquals(promptTokens, row.tokensPrompt);
        assertEquals(completionTokens, row.tokensCompletion);
        assertEquals("platform", row.tenantId);
        assertEquals("demo-tiny", row.baseModel);
        assertEquals("completed", row.status);
        assertNotNull(row.apiKeyId);
        assertEquals(traceId, row.traceId, "the caller's trace context reaches the ledger row");

        // The event as it really is on the topic matches the published schema.
        var record = KafkaTestClient.readAll(bootstrap, UsageEvent.TOPIC, Integer.MAX_VALUE, Duration.ofSeconds(5))
                .stream().filter(r -> r.value().contains(eventId.toString())).findFirst().orElseThrow();
        String published = record.value();
        assertEquals(java.util.Set.of(), UsageEventSchema.violations(published));
        assertEquals("platform", record.key(), "the record's key is the tenant id");
        var traceparent = record.headers().lastHeader("traceparent");
        assertNotNull(traceparent, "the W3C trace context travels in the record's headers");
        assertTrue(new String(traceparent.value(), java.nio.charset.StandardCharsets.US_ASCII).contains(traceId),
                "the header carries the caller's trace id");
        assertEquals("client-request-42", UsageEventCodec.decode(published).requestid(),
                "the caller's request id reaches the usage event");

        given().header("Authorization", ADMIN).get("/admin/usage?tenant=platform&limit=1000")
                .then().statusCode(200)
                .body("data.event_id", hasItem(eventId.toString()))
                .body("total_requests", greaterThan(0));
    }

    @Test
    void theSameEventDeliveredTwiceIsStoredOnce() throws Exception {
        UsageEvent duplicate = syntheticEvent("dup-tenant", 11, 7);
        UsageEvent sentinel = syntheticEvent("dup-tenant", 1, 1);
        String json = UsageEventCodec.encodeToString(duplicate);
        // Same key, so the same partition: once the sentinel is stored both copies have been consumed.
        KafkaTestClient.produce(bootstrap, UsageEvent.TOPIC, "dup-tenant", json, json,
                UsageEventCodec.encodeToString(sentinel));

        await().atMost(BILLING_WAIT).until(() -> findRecord(sentinel.id()) != null);
        long copies = QuarkusTransaction.requiringNew().call(() -> UsageRecord.count("eventId", duplicate.id()));
        assertEquals(1, copies);
        long tokens = QuarkusTransaction.requiringNew().call(() -> UsageRecord.<UsageRecord>find("tenantId", "dup-tenant")
                .stream().mapToLong(r -> r.tokensPrompt + r.tokensCompletion).sum());
        assertEquals(11 + 7 + 1 + 1, tokens);
        Object[] rollup = QuarkusTransaction.requiringNew().call(() -> (Object[]) UsageRecord.getEntityManager()
                .createNativeQuery("select sum(requests), sum(tokens_prompt), sum(tokens_completion)"
                        + " from usage_rollups_hourly where tenant_id = 'dup-tenant'")
                .getSingleResult());
        assertEquals(List.of(2L, 12L, 8L), List.of(((Number) rollup[0]).longValue(), ((Number) rollup[1]).longValue(),
                ((Number) rollup[2]).longValue()), "the duplicate is not counted in the rollups either");
    }

    @Test
    void anUnbillableRecordGoesToTheDeadLetterTopicAndItsNeighboursAreStored() throws Exception {
        UsageEvent before = syntheticEvent("dlq-tenant", 3, 2);
        UsageEvent after = syntheticEvent("dlq-tenant", 5, 4);
        KafkaTestClient.produce(bootstrap, UsageEvent.TOPIC, "dlq-tenant",
                UsageEventCodec.encodeToString(before), "{not json", UsageEventCodec.encodeToString(after));

        await().atMost(BILLING_WAIT).until(() -> findRecord(after.id()) != null);
        assertNotNull(findRecord(before.id()));
        var dead = KafkaTestClient.readAll(bootstrap, UsageEvent.DEAD_LETTER_TOPIC, 1, BILLING_WAIT);
        assertTrue(dead.stream().anyMatch(r -> "{not json".equals(r.value())
                && r.headers().lastHeader("dead-letter-reason") != null), "poison record is in the DLQ with a reason");
    }

    private static UsageEvent syntheticEvent(String tenant, int prompt, int completion) {
        return UsageEvent.of(UUID.randomUUID(), "/test", Instant.now(), new UsageData(tenant, null, "demo-tiny", null,
                null, prompt, completion, UsageStatus.COMPLETED, "stop", null, 5L, null));
    }

    private static UsageRecord findRecord(UUID eventId) {
        return QuarkusTransaction.requiringNew().call(() -> UsageRecord.<UsageRecord>findById(eventId));
    }

    private static UUID eventIdOf(String completionId) {
        String hex = completionId.substring("cmpl-".length());
        return UUID.fromString(hex.replaceFirst("(.{8})(.{4})(.{4})(.{4})(.{12})", "$1-$2-$3-$4-$5"));
    }
}
