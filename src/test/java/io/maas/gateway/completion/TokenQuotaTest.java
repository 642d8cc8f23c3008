package io.maas.gateway.completion;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import io.maas.testing.Api;
import io.maas.testing.EmbeddedServicesResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;

/**
 * A tenant's monthly token quota, checked by the gateway against the usage rollups: served while under it, 429
 * {@code insufficient_quota} once the tokens it used this month (through the real metering pipeline) reach it,
 * within the cache TTL plus the pipeline's lag. Another tenant with room left is still served.
 */
@QuarkusTest
@QuarkusTestResource(value = EmbeddedServicesResource.class, restrictToAnnotatedClass = false)
class TokenQuotaTest {
    private static final String ADMIN = "Bearer " + EmbeddedServicesResource.ADMIN_KEY;
    private static final String COMPLETION = "{\"model\":\"demo-tiny\",\"prompt\":\"Hello there\",\"max_tokens\":4}";

    private static void quota(String tenant, long tokens, int status) {
        given().header("Authorization", ADMIN).contentType(ContentType.JSON)
                .body("{\"monthly_tokens\":" + tokens + "}").put("/admin/billing/token-quotas/" + tenant)
                .then().statusCode(status);
    }

    @Test
    void aTenantThatUsedItsMonthlyTokensGetsInsufficientQuota() {
        String tight = Api.newTenant("quota-tight");
        String roomy = Api.newTenant("quota-roomy");
        String tightKey = Api.newKey(tight, "tenant-member");
        String roomyKey = Api.newKey(roomy, "tenant-member");
        quota(tight, 5, 200);
        quota(roomy, 1_000_000, 200);
        quota(roomy, 0, 400);

        // Under the quota: served. Its prompt and completion tokens alone exceed 5.
        Api.as(tightKey).body(COMPLETION).post("/v1/completions").then().statusCode(200);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().header("Authorization", ADMIN)
                .get("/admin/billing/token-quotas").then().statusCode(200)
                .body("data.find { it.tenant_id == '" + tight + "' }.used_tokens", greaterThan(5))
                .body("data.find { it.tenant_id == '" + tight + "' }.reached", equalTo(true)));
        // The gateway's answer is cached for maas.billing.budget-cache-ttl (1 s in tests); then 429.
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> Api.as(tightKey).body(COMPLETION)
                .post("/v1/completions").then().statusCode(429).body("error.code", equalTo("insufficient_quota")));
        Api.as(roomyKey).body(COMPLETION).post("/v1/completions").then().statusCode(200);

        // Raising the quota serves the tenant again once the cached answer expires.
        quota(tight, 1_000_000, 200);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> Api.as(tightKey).body(COMPLETION)
                .post("/v1/completions").then().statusCode(200));
    }
}
