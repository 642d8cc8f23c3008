package io.maas.console.web;

import static io.maas.testing.Api.ADMIN_KEY;
import static io.maas.testing.Api.as;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.maas.testing.Api;
import io.maas.testing.EmbeddedServicesResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;

/**
 * Every console form's validation: each bad field comes back marked in the form (400) with what was typed kept,
 * and refusals by the billing and identity services are shown in the form too; nothing is changed.
 */
@QuarkusTest
@QuarkusTestResource(value = EmbeddedServicesResource.class, restrictToAnnotatedClass = false)
class ConsoleFormsTest {

    private static Map<String, String> with(Map<String, String> base, String... pairs) {
        Map<String, String> out = new HashMap<>(base);
        for (int i = 0; i < pairs.length; i += 2) {
            if (pairs[i + 1] == null) {
                out.remove(pairs[i]);
            } else {
                out.put(pairs[i], pairs[i + 1]);
            }
        }
        return out;
    }

    @Test
    void priceFormMarksEachBadFieldAndShowsTheServicesRefusal() {
        ConsoleClient admin = ConsoleClient.login(ADMIN_KEY);
        Response empty = admin.post("/console/admin/prices", Map.of());
        empty.then().statusCode(400).body(containsString("Base model is required."))
                .body(containsString("Input price is required.")).body(containsString("Output price is required."))
                .body(containsString("aria-invalid=\"true\""));

        Map<String, String> good = Map.of("base_model", "console-model-a", "charge_model", "flat", "input_rate", "0.5",
                "output_rate", "1.5");
        admin.post("/console/admin/prices", with(good, "input_rate", "abc", "effective_from", "yesterday"))
                .then().statusCode(400).body(containsString("Input price must be a number, was &#39;abc&#39;."))
                .body(containsString("Effective from must be a date"))
                .body(containsString("value=\"console-model-a\""));
        admin.post("/console/admin/prices", with(good, "output_rate", "-1")).then().statusCode(400)
                .body(containsString("Output price cannot be negative."));
        admin.post("/console/admin/prices", with(good, "up_to_tokens", "512")).then().statusCode(400)
                .body(containsString("Second tier input price is required."));
        // Refused by the rating core, shown in the form.
        admin.post("/console/admin/prices", with(good, "charge_model", "per_banana")).then().statusCode(400)
                .body(containsString("id=\"form-error\"")).body(containsString("per_banana"));
        as(ADMIN_KEY).get("/admin/billing/prices").then().body("data.base_model", not(org.hamcrest.Matchers.hasItem(
                "console-model-a")));

        admin.post("/console/admin/prices", good).then().statusCode(303);
        admin.get("/console/admin/prices").then().statusCode(200).body(containsString("console-model-a"))
                .body(containsString("$0.50 / 1M tokens"));
        // A tiered price with two tiers.
        admin.post("/console/admin/prices", with(good, "base_model", "console-model-b", "charge_model", "graduated_tiered",
                "up_to_tokens", "512", "input_rate_2", "0.25", "output_rate_2", "0.75")).then().statusCode(303);
        admin.get("/console/admin/prices").then().body(containsString("up to 512: $0.50 / 1M tokens"));
    }

    @Test
    void reservationFormMarksEachBadFieldAndShowsTheServicesRefusal() {
        ConsoleClient admin = ConsoleClient.login(ADMIN_KEY);
        String tenant = Api.newTenant("resform");
        admin.post("/console/admin/reservations", Map.of()).then().statusCode(400)
                .body(containsString("Tenant is required.")).body(containsString("Monthly fee is required."))
                .body(containsString("Monthly allowance is required.")).body(containsString("Overage price is required."));
        Map<String, String> good = Map.of("tenant_id", tenant, "scope", "everything", "fee_monthly", "2800",
                "allowance_tokens", "120000000", "overage_rate", "85");
        admin.post("/console/admin/reservations", with(good, "fee_monthly", "12.3456789")).then().statusCode(400)
                .body(containsString("Monthly fee has more than 6 decimals"));
        admin.post("/console/admin/reservations", with(good, "allowance_tokens", "1.5")).then().statusCode(400)
                .body(containsString("Monthly allowance must be a whole number"));
        admin.post("/console/admin/reservations", with(good, "scope", "base_model")).then().statusCode(400)
                .body(containsString("Name the base model"));
        admin.post("/console/admin/reservations", with(good, "scope", "adapters")).then().statusCode(400)
                .body(containsString("List the adapters"));
        admin.post("/console/admin/reservations", with(good, "starts_at", "2026-13-01")).then().statusCode(400)
                .body(containsString("Start must be a date"));
        // Refusals of the services: an unknown tenant, an end before the start, a malformed adapter name.
        admin.post("/console/admin/reservations", with(good, "tenant_id", "no-such-tenant-x")).then().statusCode(400)
                .body(containsString("id=\"form-error\"")).body(containsString("no-such-tenant-x"));
        admin.post("/console/admin/reservations", with(good, "starts_at", "2026-11-10", "ends_at", "2026-11-01"))
                .then().statusCode(400).body(containsString("must end after it starts"));
        admin.post("/console/admin/reservations", with(good, "scope", "adapters", "scope_adapters", "nocolon"))
                .then().statusCode(400).body(containsString("base:adapter"));
        as(ADMIN_KEY).get("/admin/billing/reservations?tenant=" + tenant).then().body("data.size()", equalTo(0));

        admin.post("/console/admin/reservations", with(good, "id", "form-" + tenant)).then().statusCode(303);
        as(ADMIN_KEY).get("/admin/billing/reservations?tenant=" + tenant).then()
                .body("data[0].fee_monthly_micros", equalTo(2_800_000_000L))
                .body("data[0].overage_micros_per_token", equalTo(85));
        // Cancel, then cancel again: the second is refused with the service's message.
        admin.post("/console/admin/reservations/form-" + tenant + "/cancel", Map.of()).then().statusCode(303);
        admin.post("/console/admin/reservations/form-" + tenant + "/cancel", Map.of()).then().statusCode(409)
                .body(containsString("already ends"));
        admin.post("/console/admin/reservations/nothing-here/cancel", Map.of()).then().statusCode(404);
    }

    @Test
    void keyFormMarksMissingFieldsShowsRefusalsAndShowsANewSecretOnce() {
        String tenant = Api.newTenant("keyform");
        ConsoleClient tenantAdmin = ConsoleClient.login(Api.newKey(tenant, "tenant-admin"));
        tenantAdmin.post("/console/tenant/keys", Map.of("role", "tenant-member")).then().statusCode(400)
                .body(containsString("Name is required."));
        tenantAdmin.post("/console/tenant/keys", Map.of("name", "x", "role", "platform-admin")).then().statusCode(400)
                .body(containsString("id=\"form-error\"")).body(containsString("platform-admin"));
        Response created = tenantAdmin.post("/console/tenant/keys", Map.of("name", "ci key", "role", "tenant-member"));
        created.then().statusCode(201).header("Cache-Control", containsString("no-store"));
        String secret = created.htmlPath().getString("**.find { it.@id == 'new-key-secret' }");
        assertTrue(secret.startsWith("sk-"), secret);
        as(secret).get("/v1/me").then().statusCode(200).body("tenant_id", equalTo(tenant));
        // The list shows the key by prefix only; the secret is never shown again.
        Response list = tenantAdmin.get("/console/tenant/keys");
        list.then().statusCode(200).body(containsString("ci key")).body(not(containsString(secret)));

        String keyId = Api.keyId(tenant, secret);
        tenantAdmin.post("/console/tenant/keys/" + keyId + "/revoke", Map.of()).then().statusCode(303);
        as(ADMIN_KEY).get("/v1/keys/" + keyId).then().body("revoked_at", not(equalTo(null)));
        tenantAdmin.post("/console/tenant/keys/not-a-uuid/revoke", Map.of()).then().statusCode(404);
    }

    @Test
    void invoiceFiltersAreValidatedAndLastPeriodsInvoiceIsFinalizedAndExported() {
        ConsoleClient admin = ConsoleClient.login(ADMIN_KEY);
        admin.get("/console/admin/invoices?period=november").then().statusCode(400)
                .body(containsString("Period must be a month as YYYY-MM"));
        admin.get("/console/admin/invoices?status=paid").then().statusCode(400)
                .body(containsString("Status must be draft or finalized."));

        String tenant = Api.newTenant("invform");
        YearMonth last = YearMonth.now(ZoneOffset.UTC).minusMonths(1);
        admin.post("/console/admin/reservations", Map.of("tenant_id", tenant, "id", "inv-" + tenant, "scope", "everything",
                "fee_monthly", "1000", "allowance_tokens", "1000000", "overage_rate", "1", "starts_at",
                last.atDay(1).toString())).then().statusCode(303);
        String base = "/console/admin/invoices/" + tenant + "/" + last;
        admin.get(base).then().statusCode(200).body(containsString("id=\"finalize\""))
                .body(containsString("draft"));
        admin.post(base + "/finalize", Map.of()).then().statusCode(303);
        admin.get(base).then().statusCode(200).body(containsString("finalized")).body(not(containsString("id=\"finalize\"")))
                .body(containsString("$1,000.00"));
        // Finalizing again, or a period that has not ended, is refused with the service's message.
        admin.post(base + "/finalize", Map.of()).then().statusCode(409);
        admin.post("/console/admin/invoices/" + tenant + "/2099-01/finalize", Map.of()).then().statusCode(409)
                .body(containsString("only after"));

        Response csv = admin.get(base + "/csv");
        csv.then().statusCode(200).contentType(containsString("text/csv"))
                .header("Content-Disposition", containsString("invoice-" + tenant + "-" + last + ".csv"));
        assertTrue(csv.asString().contains("RESERVATION_FEE"), csv.asString());
        admin.get(base + "/json").then().statusCode(200).body("status", equalTo("finalized"))
                .body("total_minor", equalTo(100000));
        admin.get("/console/admin/invoices?period=" + last + "&status=finalized&tenant=" + tenant).then().statusCode(200)
                .body(containsString(tenant)).body(containsString("$1,000.00"));
        assertEquals(200, admin.get("/console/admin/tenants/" + tenant).statusCode());
    }
}
