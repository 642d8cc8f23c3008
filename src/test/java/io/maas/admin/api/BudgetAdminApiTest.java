package io.maas.admin.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

import java.time.Instant;
import java.util.Set;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.maas.billing.rating.BillingPeriod;
import io.maas.gateway.auth.ApiKeyService;
import io.maas.gateway.auth.Roles;
import io.maas.gateway.auth.TenantEntity;
import io.maas.testing.EmbeddedServicesResource;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;

/** Budgets over the admin API: alerts recorded and listed, and a reached hard limit makes completions 429. */
@QuarkusTest
@QuarkusTestResource(value = EmbeddedServicesResource.class, restrictToAnnotatedClass = false)
class BudgetAdminApiTest {
    private static final String ADMIN = "Bearer " + EmbeddedServicesResource.ADMIN_KEY;

    @Inject
    ApiKeyService keys;

    private String tenantKey(String tenantId) {
        QuarkusTransaction.requiringNew().run(() -> {
            TenantEntity tenant = new TenantEntity();
            tenant.id = tenantId;
            tenant.name = tenantId;
            tenant.createdAt = Instant.now();
            tenant.persist();
        });
        return "Bearer " + keys.create(tenantId, "test", Set.of(Roles.TENANT_MEMBER)).secret();
    }

    @Test
    void aReachedHardLimitRefusesCompletionsWithInsufficientQuotaAndRaisesAlerts() {
        String key = tenantKey("bud-hard");
        // Under its budget the tenant is served.
        given().header("Authorization", key).contentType(ContentType.JSON)
                .body("{\"model\":\"demo-tiny\",\"prompt\":\"Hi\",\"max_tokens\":2}")
                .post("/v1/completions").then().statusCode(200);

        // A reservation whose fee ($2,800 prorated) alone exceeds the $1 budget: the hard limit is reached.
        given().header("Authorization", ADMIN).contentType(ContentType.JSON)
                .body("""
                        {"id":"bud-hard-r","tenant_id":"bud-hard","scope":{"kind":"base_model","base_model":"other"},
                         "fee_monthly_micros":2800000000,"allowance_monthly_tokens":1000,
                         "overage_micros_per_token":1,"starts_at":"%s"}""".formatted(BillingPeriod.containing(Instant.now()).start()))
                .post("/admin/billing/reservations").then().statusCode(201);
        given().header("Authorization", ADMIN).contentType(ContentType.JSON)
                .body("{\"monthly_budget_micros\":1000000,\"alert_thresholds_pct\":[50,100],\"hard_limit\":true}")
                .put("/admin/billing/budgets/bud-hard")
                .then().statusCode(200).body("hard_limit", equalTo(true));

        // The gateway cached "not over" for up to maas.billing.budget-cache-ttl (1s in tests); after it, 429.
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).untilAsserted(() ->
                given().header("Authorization", key).contentType(ContentType.JSON)
                        .body("{\"model\":\"demo-tiny\",\"prompt\":\"Hi\",\"max_tokens\":2}")
                        .post("/v1/completions")
                        .then().statusCode(429)
                        .body("error.code", equalTo("insufficient_quota"))
                        .body("error.type", equalTo("insufficient_quota")));

        given().header("Authorization", ADMIN).get("/admin/billing/budget-alerts?tenant=bud-hard")
                .then().statusCode(200).body("data.threshold_pct", hasItem(50)).body("data.threshold_pct", hasItem(100));
        given().header("Authorization", ADMIN).get("/admin/billing/budgets")
                .then().statusCode(200).body("data.tenant_id", hasItem("bud-hard"));
    }

    @Test
    void aTenantKeyIsForbiddenFromTheBillingAdminApi() {
        String key = tenantKey("bud-member");
        for (String path : java.util.List.of("/admin/billing/prices", "/admin/billing/reservations",
                "/admin/billing/invoices", "/admin/billing/budgets", "/admin/billing/budget-alerts",
                "/admin/billing/provider-statements?period=2026-11", "/admin/billing/unrated")) {
            given().header("Authorization", key).get(path).then().statusCode(403)
                    .body("error.code", equalTo("insufficient_permissions"));
        }
    }

    @Test
    void anInvalidBudgetIsRefused() {
        given().header("Authorization", ADMIN).contentType(ContentType.JSON)
                .body("{\"monthly_budget_micros\":0}")
                .put("/admin/billing/budgets/bud-bad")
                .then().statusCode(400).body("error.param", equalTo("monthly_budget_micros"));
    }
}
