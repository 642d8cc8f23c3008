package io.maas.app.scheduling;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import io.maas.billing.metering.UsageData;
import io.maas.billing.metering.UsageEvent;
import io.maas.billing.metering.UsageEventCodec;
import io.maas.billing.metering.UsageStatus;
import io.maas.billing.rating.BillingPeriod;
import io.maas.testing.EmbeddedServicesResource;
import io.maas.testing.KafkaTestClient;
import io.quarkus.scheduler.Scheduler;
import io.quarkus.scheduler.Trigger;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;

/**
 * The scheduled invoice finalization in the running application: the job is registered with the scheduler at the
 * configured interval, and a run finalizes the draft of an ended period (usage through the real topic and
 * consumer), once; a second run finds nothing to do.
 */
@QuarkusTest
@QuarkusTestResource(value = EmbeddedServicesResource.class, restrictToAnnotatedClass = false)
class InvoiceFinalizationJobTest {
    private static final String ADMIN = "Bearer " + EmbeddedServicesResource.ADMIN_KEY;

    @Inject
    Scheduler scheduler;
    @Inject
    InvoiceFinalizationJob job;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @Test
    void theJobIsScheduledAtTheConfiguredInterval() {
        Trigger trigger = scheduler.getScheduledJob(InvoiceFinalizationJob.IDENTITY);
        assertNotNull(trigger, "the finalization job is registered");
        Instant next = trigger.getNextFireTime();
        assertNotNull(next);
        // maas.invoicing.finalize-every defaults to 1h: the next round is at most an hour away.
        assertTrue(!next.isAfter(Instant.now().plus(Duration.ofHours(1)).plusSeconds(5)), "next round at " + next);
    }

    @Test
    void aRunFinalizesTheDraftsOfEndedPeriodsOnce() throws Exception {
        given().header("Authorization", ADMIN).contentType(ContentType.JSON)
                .body("""
                        {"base_model":"job-model","effective_from":"2020-01-01T00:00:00Z","charge_model":"flat",
                         "tiers":[{"up_to_tokens":null,"input_micros_per_token":1000,"output_micros_per_token":2000}]}""")
                .post("/admin/billing/prices").then().statusCode(201);
        // Usage two months back: that period ended long before the grace period.
        BillingPeriod ended = BillingPeriod.of(BillingPeriod.containing(Instant.now()).month().minusMonths(2));
        Instant at = ended.start().plus(Duration.ofDays(3));
        String tenant = "job-" + UUID.randomUUID().toString().substring(0, 8);
        KafkaTestClient.produce(bootstrap, UsageEvent.TOPIC, tenant, UsageEventCodec.encodeToString(UsageEvent.of(
                UUID.randomUUID(), "/test", at, new UsageData(tenant, null, "job-model", null, null, 100, 50,
                        UsageStatus.COMPLETED, "stop", null, 5L, null))));
        String path = "/admin/billing/invoices/" + tenant + "/" + ended;
        // 100 × 1,000 µ + 50 × 2,000 µ = 200,000 µ = 20 ¢.
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().header("Authorization", ADMIN).get(path)
                .then().statusCode(200).body("status", equalTo("draft")).body("total_minor", equalTo(20)));

        InvoiceFinalizationJob.Run run = job.runOnce(Instant.now());
        assertFalse(run.busy());
        assertTrue(run.finalized() >= 1, "at least this tenant's invoice: " + run);
        given().header("Authorization", ADMIN).get(path).then().statusCode(200)
                .body("status", equalTo("finalized")).body("number", startsWith("INV-" + ended + "-"))
                .body("total_minor", equalTo(20));

        InvoiceFinalizationJob.Run again = job.runOnce(Instant.now());
        assertEquals(0, again.finalized(), "nothing is finalized twice");
    }
}
