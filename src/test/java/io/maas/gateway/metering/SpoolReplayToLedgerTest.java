package io.maas.gateway.metering;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;

import javax.sql.DataSource;

import jakarta.inject.Inject;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import io.maas.billing.metering.UsageData;
import io.maas.billing.metering.UsageEvent;
import io.maas.billing.metering.UsageStatus;
import io.maas.testing.EmbeddedServicesResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;

/**
 * Metering fault, end to end: a gateway's publisher that cannot reach the broker spools its events and is
 * stopped hard (only what the spool made durable survives); a restarted publisher on the same spool replays
 * them to the real broker, and the application's billing consumer bills them: the ledger's tokens equal the
 * tokens served, each event once.
 */
@QuarkusTest
@QuarkusTestResource(value = EmbeddedServicesResource.class, restrictToAnnotatedClass = false)
class SpoolReplayToLedgerTest {
    private static final int EVENTS = 300;
    private static final long SPOOL_MAX_BYTES = 64L * 1024 * 1024;
    private static final Duration WAIT = Duration.ofSeconds(90);

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;
    @Inject
    DataSource dataSource;

    @Test
    void eventsSpooledBeforeAHardStopAreBilledExactlyOnceAfterTheRestart() throws Exception {
        given().header("Authorization", "Bearer " + EmbeddedServicesResource.ADMIN_KEY).contentType(ContentType.JSON)
                .body("""
                        {"base_model":"spool-model","effective_from":"2020-01-01T00:00:00Z","charge_model":"flat",
                         "tiers":[{"up_to_tokens":null,"input_micros_per_token":10,"output_micros_per_token":20}]}""")
                .post("/admin/billing/prices").then().statusCode(201);
        String prefix = "spool-" + UUID.randomUUID().toString().substring(0, 8) + "-";
        Path spoolDir = Files.createTempDirectory(Path.of("target").toAbsolutePath(), "spool-replay-");

        // The broker is unreachable for this gateway: every event ends in its spool, then it is stopped hard.
        UsageEventPublisher first = publisher("127.0.0.1:1", spoolDir);
        long tokensServed = 0;
        for (int i = 0; i < EVENTS; i++) {
            int prompt = 1 + i % 53;
            int completion = 1 + i % 7;
            tokensServed += prompt + completion;
            first.record(UsageEvent.of(UUID.randomUUID(), "/test", Instant.now(), new UsageData(prefix + (i % 6), null,
                    "spool-model", null, null, prompt, completion, UsageStatus.COMPLETED, "stop", null, 5L, null)));
        }
        await().atMost(WAIT).until(() -> first.stats().spoolEntries() == EVENTS);
        first.haltForTest();

        try (UsageEventPublisher restarted = publisher(bootstrap, spoolDir)) {
            await().atMost(WAIT).until(() -> restarted.stats().spoolEntries() == 0
                    && restarted.stats().published() == EVENTS);
            String like = prefix + "%";
            await().atMost(WAIT).untilAsserted(() -> assertEquals(EVENTS,
                    scalar("select count(*) from ledger_transactions where kind = 'usage' and tenant_id like ?", like)));
            assertEquals(EVENTS, scalar("select count(distinct event_id) from usage_records where tenant_id like ?",
                    like));
            assertEquals(EVENTS, scalar("select count(*) from usage_records where tenant_id like ?", like));
            long served = tokensServed;
            assertEquals(served, scalar("""
                    select coalesce(sum(e.tokens), 0) from ledger_entries e join ledger_transactions t on t.id = e.transaction_id
                    where t.kind = 'usage' and t.tenant_id like ? and e.account = 'tenant:' || t.tenant_id || ':receivable'""",
                    like), "the ledger's tokens are exactly the tokens served");
        }
    }

    private static UsageEventPublisher publisher(String bootstrap, Path spoolDir) throws Exception {
        Map<String, Object> config = UsageEventPublisher.producerConfig(bootstrap, 3_000);
        return new UsageEventPublisher(() -> new KafkaProducer<>(config), UsageSpool.open(spoolDir, SPOOL_MAX_BYTES, 5),
                1_000, 100, SPOOL_MAX_BYTES, nanos -> { });
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
