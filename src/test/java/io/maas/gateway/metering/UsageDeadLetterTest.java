package io.maas.gateway.metering;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import javax.sql.DataSource;

import jakarta.inject.Inject;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import io.maas.billing.metering.UsageData;
import io.maas.billing.metering.UsageEvent;
import io.maas.billing.metering.UsageEventCodec;
import io.maas.billing.metering.UsageStatus;
import io.maas.billing.usage.UsageConsumer;
import io.maas.testing.EmbeddedServicesResource;
import io.maas.testing.KafkaTestClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;

/**
 * Metering fault, through the application's own billing consumer: poison in the middle of a batch, both kinds
 * (a record that is not an event, and a valid event the database refuses). Both go to the dead-letter topic with
 * their reason in a header, the partition keeps moving, and the ledger bills exactly the neighbours' tokens.
 */
@QuarkusTest
@QuarkusTestResource(value = EmbeddedServicesResource.class, restrictToAnnotatedClass = false)
class UsageDeadLetterTest {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;
    @Inject
    DataSource dataSource;

    @Test
    void poisonInTheMiddleOfABatchIsDeadLetteredWithItsReasonAndItsNeighboursAreBilledOnce() throws Exception {
        given().header("Authorization", "Bearer " + EmbeddedServicesResource.ADMIN_KEY).contentType(ContentType.JSON)
                .body("""
                        {"base_model":"dlq-model","effective_from":"2020-01-01T00:00:00Z","charge_model":"flat",
                         "tiers":[{"up_to_tokens":null,"input_micros_per_token":10,"output_micros_per_token":20}]}""")
                .post("/admin/billing/prices").then().statusCode(201);
        String tenant = "dlq-" + UUID.randomUUID().toString().substring(0, 8);
        UsageEvent first = event(tenant, 30, 7, "stop");
        UsageEvent second = event(tenant, 11, 4, "stop");
        UsageEvent last = event(tenant, 5, 2, "length");
        // Valid JSON and a valid event, but PostgreSQL stores no NUL character in text: the database refuses it.
        UsageEvent refused = event(tenant, 1_000, 1_000, "stop\u0000");
        String notAnEvent = "{\"specversion\":\"1.0\",\"id\":\"" + UUID.randomUUID() + "\"}";
        String refusedJson = UsageEventCodec.encodeToString(refused);
        // One key, so one partition, sent together: the consumer polls them in one batch (or consecutive ones).
        KafkaTestClient.produce(bootstrap, UsageEvent.TOPIC, tenant, UsageEventCodec.encodeToString(first), notAnEvent,
                UsageEventCodec.encodeToString(second), refusedJson, UsageEventCodec.encodeToString(last));

        await().atMost(WAIT).untilAsserted(() -> assertEquals(3,
                scalar("select count(*) from usage_records where tenant_id = ?", tenant)));
        List<ConsumerRecord<String, String>> dead = await().atMost(WAIT).until(() -> KafkaTestClient.readAll(bootstrap,
                UsageEvent.DEAD_LETTER_TOPIC, Integer.MAX_VALUE, Duration.ofSeconds(3)).stream()
                .filter(r -> tenant.equals(r.key())).toList(), records -> records.size() == 2);
        assertEquals(List.of(notAnEvent, refusedJson), dead.stream().map(ConsumerRecord::value).toList(),
                "both poison records are dead-lettered, in their order");
        assertTrue(reason(dead.get(0)).startsWith("not a usage event"), reason(dead.get(0)));
        assertTrue(reason(dead.get(1)).startsWith("rejected by the database"), reason(dead.get(1)));
        for (ConsumerRecord<String, String> r : dead) {
            assertEquals(UsageEvent.TOPIC, header(r, "dead-letter-topic"));
            assertNotNull(header(r, "dead-letter-offset"));
        }

        assertEquals(0, scalar("select count(*) from usage_records where event_id = '" + refused.id() + "'"
                + " and tenant_id = ?", tenant), "the refused event is not billed");
        assertEquals(3, scalar("select count(*) from ledger_transactions where kind = 'usage' and tenant_id = ?",
                tenant), "one ledger transaction per billed event");
        assertEquals(30 + 7 + 11 + 4 + 5 + 2, scalar("""
                select coalesce(sum(e.tokens), 0) from ledger_entries e join ledger_transactions t on t.id = e.transaction_id
                where t.kind = 'usage' and t.tenant_id = ? and e.account = 'tenant:' || t.tenant_id || ':receivable'""",
                tenant), "the ledger's tokens are exactly the neighbours' tokens");
        assertEquals(30 + 7 + 11 + 4 + 5 + 2, scalar("select coalesce(sum(tokens_prompt + tokens_completion), 0)"
                + " from usage_rollups_hourly where tenant_id = ?", tenant));
    }

    private static UsageEvent event(String tenant, int prompt, int completion, String finishReason) {
        return UsageEvent.of(UUID.randomUUID(), "/test", Instant.now(), new UsageData(tenant, null, "dlq-model", null,
                null, prompt, completion, UsageStatus.COMPLETED, finishReason, null, 5L, null));
    }

    private static String reason(ConsumerRecord<String, String> r) {
        return header(r, UsageConsumer.REASON_HEADER);
    }

    private static String header(ConsumerRecord<String, String> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private long scalar(String sql, String param) throws Exception {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, param);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }
}
