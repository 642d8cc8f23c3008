package io.maas.admin.api;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.startsWith;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import io.maas.billing.metering.UsageData;
import io.maas.billing.metering.UsageEvent;
import io.maas.billing.metering.UsageEventCodec;
import io.maas.billing.metering.UsageStatus;
import io.maas.billing.rating.BillingPeriod;
import io.maas.testing.EmbeddedServicesResource;
import io.maas.testing.KafkaTestClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;

/**
 * The billing admin API over HTTP, with usage arriving through the real Kafka topic and billing consumer:
 * prices and reservations created by API, events rated and posted by the consumer, drafts and burn-down read back.
 */
@QuarkusTest
@QuarkusTestResource(value = EmbeddedServicesResource.class, restrictToAnnotatedClass = false)
class BillingAdminApiTest {
    private static final String ADMIN = "Bearer " + EmbeddedServicesResource.ADMIN_KEY;
    private static final Duration BILLING_WAIT = Duration.ofSeconds(30);

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    private static String usage(String tenant, String model, int prompt, int completion, Instant time) {
        return UsageEventCodec.encodeToString(UsageEvent.of(UUID.randomUUID(), "/test", time, new UsageData(tenant, null,
                model, null, null, prompt, completion, UsageStatus.COMPLETED, "stop", null, 5L, null)));
    }

    @Test
    void payAsYouGoUsageOnTheTopicIsRatedAndShowsOnTheDraftInvoice() throws Exception {
        given().header("Authorization", ADMIN).contentType(ContentType.JSON)
                .body("""
                        {"base_model":"e2e-model","effective_from":"2026-01-01T00:00:00Z","charge_model":"flat",
                         "tiers":[{"up_to_tokens":null,"input_micros_per_token":120,"output_micros_per_token":"120"}]}""")
                .post("/admin/billing/prices")
                .then().statusCode(201).body("base_model", equalTo("e2e-model")).body("charge_model", equalTo("flat"));
        given().header("Authorization", ADMIN).get("/admin/billing/prices")
                .then().statusCode(200).body("data.base_model", hasItem("e2e-model"));

        Instant now = Instant.now();
        List<String> events = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            events.add(usage("e2e-payg", "e2e-model", 300, 100, now));
        }
        KafkaTestClient.produce(bootstrap, UsageEvent.TOPIC, "e2e-payg", events.toArray(String[]::new));

        String period = BillingPeriod.containing(now).toString();
        // 10 requests × 400 tokens × 120 µ = 480,000 µ: input 3,000 × 120 = 36¢, output 1,000 × 120 = 12¢.
        await().atMost(BILLING_WAIT).untilAsserted(() -> given().header("Authorization", ADMIN)
                .get("/admin/billing/invoices/e2e-payg/" + period)
                .then().statusCode(200)
                .body("status", equalTo("draft"))
                .body("total_minor", equalTo(48))
                .body("total", equalTo("0.48"))
                .body("lines.kind", equalTo(List.of("PAYG_INPUT", "PAYG_OUTPUT"))));
        given().header("Authorization", ADMIN).get("/admin/billing/invoices/e2e-payg/" + period + ".csv")
                .then().statusCode(200).body(startsWith("invoice,tenant,period")).body(containsString("TOTAL"));
        // An open period cannot be finalized.
        given().header("Authorization", ADMIN).post("/admin/billing/invoices/e2e-payg/" + period + "/finalize")
                .then().statusCode(409).body("error.code", equalTo("conflict"));
        given().header("Authorization", ADMIN).get("/admin/billing/invoices?tenant=e2e-payg&status=draft")
                .then().statusCode(200).body("data.period", hasItem(period));
    }

    @Test
    void reservationBurnDownFollowsUsageAndCancellingEndsIt() throws Exception {
        Instant now = Instant.now();
        Instant monthStart = BillingPeriod.containing(now).start();
        given().header("Authorization", ADMIN).contentType(ContentType.JSON)
                .body("""
                        {"id":"e2e-r1","tenant_id":"e2e-res","scope":{"kind":"everything"},
                         "fee_monthly_micros":2800000000,"allowance_monthly_tokens":120000000,
                         "overage_micros_per_token":85,"starts_at":"%s"}""".formatted(monthStart))
                .post("/admin/billing/reservations")
                .then().statusCode(201).body("allowance_used_tokens", equalTo(0))
                .body("fee_micros", equalTo(2_800_000_000L));
        KafkaTestClient.produce(bootstrap, UsageEvent.TOPIC, "e2e-res", usage("e2e-res", "anything", 700, 300, now));
        await().atMost(BILLING_WAIT).untilAsserted(() -> given().header("Authorization", ADMIN)
                .get("/admin/billing/reservations?tenant=e2e-res")
                .then().statusCode(200)
                .body("data[0].allowance_used_tokens", equalTo(1_000))
                .body("data[0].allowance_remaining_tokens", equalTo(119_999_000)));
        String endsAt = now.truncatedTo(ChronoUnit.SECONDS).plus(Duration.ofDays(1)).toString();
        given().header("Authorization", ADMIN).contentType(ContentType.JSON).body("{\"ends_at\":\"" + endsAt + "\"}")
                .post("/admin/billing/reservations/e2e-r1/cancel")
                .then().statusCode(200).body("ends_at", equalTo(endsAt));
        given().header("Authorization", ADMIN).contentType(ContentType.JSON).body("{}")
                .post("/admin/billing/reservations/e2e-r1/cancel")
                .then().statusCode(409);
        given().header("Authorization", ADMIN).contentType(ContentType.JSON).body("{}")
                .post("/admin/billing/reservations/no-such/cancel")
                .then().statusCode(404);
    }

    @Test
    void invalidPricesAreRefusedWithAnOpenAiError() {
        given().header("Authorization", ADMIN).contentType(ContentType.JSON)
                .body("""
                        {"base_model":"e2e-bad","effective_from":"2030-01-01T00:00:00Z","charge_model":"volume",
                         "tiers":[{"input_micros_per_token":1,"output_micros_per_token":1}]}""")
                .post("/admin/billing/prices")
                .then().statusCode(400).body("error.code", equalTo("invalid_value"));
        given().header("Authorization", ADMIN).get("/admin/billing/invoices/x/2026-13")
                .then().statusCode(400).body("error.param", equalTo("period"));
    }

    @Test
    void theOpenApiDocumentDescribesTheBillingAdminApi() {
        given().get("/q/openapi?format=json").then().statusCode(200)
                .body("paths.keySet()", hasItem("/admin/billing/invoices/{tenant}/{period}/finalize"))
                .body("paths.keySet()", hasItem("/admin/billing/reservations"))
                .body("paths.keySet()", hasItem("/admin/billing/budgets/{tenant}"));
    }

    @Test
    void billingAdminEndpointsNeedAnApiKey() {
        for (String path : List.of("/admin/billing/prices", "/admin/billing/reservations", "/admin/billing/invoices",
                "/admin/billing/provider-statements?period=2026-11", "/admin/billing/unrated")) {
            given().get(path).then().statusCode(401);
            given().header("Authorization", ADMIN).get(path).then().statusCode(200);
        }
    }
}
