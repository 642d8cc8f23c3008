package io.maas.admin.api;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import io.maas.billing.metering.UsageData;
import io.maas.billing.metering.UsageEvent;
import io.maas.billing.metering.UsageEventCodec;
import io.maas.billing.metering.UsageStatus;
import io.maas.billing.rating.BillingPeriod;
import io.maas.testing.Api;
import io.maas.testing.EmbeddedServicesResource;
import io.maas.testing.KafkaTestClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;

/**
 * Provider payouts and statements over HTTP: usage of a provider's adapter through the real topic and consumer,
 * a payout recorded by the platform admin (idempotent by its id, capped by the payable balance), and the provider
 * reading its own statement with its own key, and only its own.
 */
@QuarkusTest
@QuarkusTestResource(value = EmbeddedServicesResource.class, restrictToAnnotatedClass = false)
class ProviderPayoutApiTest {
    private static final String ADMIN = "Bearer " + EmbeddedServicesResource.ADMIN_KEY;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @Test
    void aProviderIsPaidOutOnceAndSeesItOnItsOwnStatement() throws Exception {
        String provider = Api.newTenant("prov");
        String providerKey = Api.newKey(provider, "provider");
        String otherProviderKey = Api.newKey(Api.newTenant("prov-other"), "provider");
        given().header("Authorization", ADMIN).contentType(ContentType.JSON)
                .body("""
                        {"base_model":"payout-base","effective_from":"2020-01-01T00:00:00Z","charge_model":"flat",
                         "tiers":[{"up_to_tokens":null,"input_micros_per_token":1000,"output_micros_per_token":1000}]}""")
                .post("/admin/billing/prices").then().statusCode(201);
        Instant now = Instant.now();
        String period = BillingPeriod.containing(now).toString();
        // 4 requests × 100 tokens × 1,000 µ = 400,000 µ charged; the provider's 70 % = 280,000 µ.
        String[] events = new String[4];
        for (int i = 0; i < events.length; i++) {
            events[i] = UsageEventCodec.encodeToString(UsageEvent.of(UUID.randomUUID(), "/test", now,
                    new UsageData("payout-tenant", null, "payout-base", "payout-adapter", provider, 60, 40,
                            UsageStatus.COMPLETED, "stop", null, 5L, null)));
        }
        KafkaTestClient.produce(bootstrap, UsageEvent.TOPIC, "payout-tenant", events);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> Api.as(providerKey)
                .get("/v1/provider/statements?period=" + period).then().statusCode(200)
                .body("providers[0].earned_micros", equalTo(280_000)));

        String payout = """
                {"id":"%s","provider_id":"%s","period":"%s","amount_micros":200000,"reference":"wire 1"}"""
                .formatted("po-" + provider, provider, period);
        given().header("Authorization", ADMIN).contentType(ContentType.JSON).body(payout)
                .post("/admin/billing/payouts").then().statusCode(201).body("amount_micros", equalTo(200_000));
        // The same request again (a client retry) is the same payout, not a second one.
        given().header("Authorization", ADMIN).contentType(ContentType.JSON).body(payout)
                .post("/admin/billing/payouts").then().statusCode(200).body("id", equalTo("po-" + provider));
        // 80,000 µ are left: more is refused.
        given().header("Authorization", ADMIN).contentType(ContentType.JSON)
                .body("""
                        {"id":"%s","provider_id":"%s","period":"%s","amount_micros":80001}"""
                        .formatted("po2-" + provider, provider, period))
                .post("/admin/billing/payouts").then().statusCode(409).body("error.code", equalTo("conflict"));
        given().header("Authorization", ADMIN).contentType(ContentType.JSON)
                .body("{\"id\":\"po3\",\"provider_id\":\"" + provider + "\",\"period\":\"" + period + "\"}")
                .post("/admin/billing/payouts").then().statusCode(400).body("error.param", equalTo("amount_micros"));

        given().header("Authorization", ADMIN).get("/admin/billing/payouts?provider=" + provider).then().statusCode(200)
                .body("data.id", equalTo(List.of("po-" + provider)));
        Api.as(providerKey).get("/v1/provider/statements?period=" + period).then().statusCode(200)
                .body("data.adapter", hasItem("payout-adapter"))
                .body("providers[0].provider_id", equalTo(provider))
                .body("providers[0].paid_out_micros", equalTo(200_000))
                .body("providers[0].balance_micros", equalTo(80_000))
                .body("providers[0].payouts.id", equalTo(List.of("po-" + provider)));
        given().header("Authorization", ADMIN).get("/admin/billing/provider-statements?period=" + period
                + "&provider=" + provider).then().statusCode(200).body("providers[0].balance_micros", equalTo(80_000));
        // Another provider's key sees its own (empty) statement; no parameter reaches someone else's.
        Api.as(otherProviderKey).get("/v1/provider/statements?period=" + period + "&provider=" + provider)
                .then().statusCode(200).body("data", empty()).body("providers", empty());
    }
}
