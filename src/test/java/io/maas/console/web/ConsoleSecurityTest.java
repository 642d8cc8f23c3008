package io.maas.console.web;

import static io.maas.testing.Api.ADMIN_KEY;
import static io.maas.testing.Api.as;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.maas.testing.Api;
import io.maas.testing.EmbeddedServicesResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;

/** Console login, session cookies, logout, CSRF and role checks, through the real HTTP interface. */
@QuarkusTest
@QuarkusTestResource(value = EmbeddedServicesResource.class, restrictToAnnotatedClass = false)
class ConsoleSecurityTest {

    @Test
    void loginSetsAnHttpOnlySameSiteSessionCookieAndLogoutEndsTheSession() {
        Response form = given().get("/console/login");
        String loginCookie = form.getCookie("maas_console_login");
        Response done = given().redirects().follow(false).contentType(ContentType.URLENC)
                .cookie("maas_console_login", loginCookie)
                .formParams(Map.of("_csrf", ConsoleClient.csrfIn(form.asString()), "api_key", ADMIN_KEY))
                .post("/console/login");
        assertEquals(303, done.statusCode());
        String setCookie = done.getHeaders().getValues("Set-Cookie").stream().filter(c -> c.startsWith("maas_console="))
                .findFirst().orElseThrow();
        assertTrue(setCookie.contains("HttpOnly"), setCookie);
        assertTrue(setCookie.contains("SameSite=Lax"), setCookie);
        assertTrue(setCookie.contains("Path=/console"), setCookie);
        assertFalse(setCookie.contains("Secure"), "plain HTTP: no Secure flag: " + setCookie);
        String session = done.getCookie("maas_console");
        assertTrue(session.length() >= 43, "256 random bits");

        given().redirects().follow(false).cookie("maas_console", session).get("/console/admin").then().statusCode(200)
                .body(containsString("Overview"));
        String csrf = ConsoleClient.csrfIn(given().cookie("maas_console", session).get("/console/admin").asString());
        given().redirects().follow(false).cookie("maas_console", session).contentType(ContentType.URLENC)
                .formParam("_csrf", csrf).post("/console/logout").then().statusCode(303)
                .header("Location", containsString("/console/login"));
        given().redirects().follow(false).cookie("maas_console", session).get("/console/admin").then().statusCode(303)
                .header("Location", containsString("/console/login"));
    }

    @Test
    void sessionCookieIsSecureWhenTheRequestCameOverTls() {
        // Tests trust X-Forwarded-* (as behind a TLS-terminating proxy); the scheme the browser used was https.
        Response form = given().header("X-Forwarded-Proto", "https").get("/console/login");
        assertTrue(form.getHeader("Set-Cookie").contains("Secure"), form.getHeader("Set-Cookie"));
        Response done = given().redirects().follow(false).header("X-Forwarded-Proto", "https")
                .contentType(ContentType.URLENC).cookie("maas_console_login", form.getCookie("maas_console_login"))
                .formParams(Map.of("_csrf", ConsoleClient.csrfIn(form.asString()), "api_key", ADMIN_KEY))
                .post("/console/login");
        String setCookie = done.getHeaders().getValues("Set-Cookie").stream().filter(c -> c.startsWith("maas_console="))
                .findFirst().orElseThrow();
        assertTrue(setCookie.contains("; Secure"), setCookie);
    }

    @Test
    void aWrongKeyIsRefusedInTheFormAndALoginWithoutItsCsrfTokenIsRefused() {
        Response form = given().get("/console/login");
        given().contentType(ContentType.URLENC).cookie("maas_console_login", form.getCookie("maas_console_login"))
                .header("X-Forwarded-For", "198.51.100.77")
                .formParams(Map.of("_csrf", ConsoleClient.csrfIn(form.asString()), "api_key", "sk-not-a-real-key-0000000000"))
                .post("/console/login").then().statusCode(401).body(containsString("That API key is not valid"))
                .header("Set-Cookie", not(containsString("maas_console=")));
        given().contentType(ContentType.URLENC).formParams(Map.of("api_key", ADMIN_KEY)).post("/console/login").then()
                .statusCode(403).body(containsString("expired"));
        given().contentType(ContentType.URLENC).cookie("maas_console_login", "a")
                .formParams(Map.of("_csrf", "b", "api_key", ADMIN_KEY)).post("/console/login").then().statusCode(403);
        given().contentType(ContentType.URLENC).cookie("maas_console_login", form.getCookie("maas_console_login"))
                .formParams(Map.of("_csrf", ConsoleClient.csrfIn(form.asString()), "api_key", " ")).post("/console/login")
                .then().statusCode(400).body(containsString("Enter an API key"));
    }

    @Test
    void stateChangingRequestsWithTheSessionCookieNeedTheSessionsCsrfToken() {
        ConsoleClient admin = ConsoleClient.login(ADMIN_KEY);
        String tenant = Api.newTenant("csrf");
        Map<String, String> reservation = Map.of("tenant_id", tenant, "id", "csrf-" + tenant, "scope", "everything",
                "fee_monthly", "10", "allowance_tokens", "1000", "overage_rate", "1");
        admin.postWithoutCsrf("/console/admin/reservations", reservation).then().statusCode(403)
                .body(containsString("CSRF"));
        admin.request().contentType(ContentType.URLENC).formParam("_csrf", "forged").formParams(reservation)
                .post("/console/admin/reservations").then().statusCode(403);
        // Another session's token is no good either.
        String otherToken = ConsoleClient.login(ADMIN_KEY).csrf();
        admin.request().contentType(ContentType.URLENC).formParam("_csrf", otherToken).formParams(reservation)
                .post("/console/admin/reservations").then().statusCode(403);
        as(ADMIN_KEY).get("/admin/billing/reservations?tenant=" + tenant).then().statusCode(200)
                .body("data.size()", org.hamcrest.Matchers.equalTo(0));
        admin.postWithoutCsrf("/console/logout", Map.of()).then().statusCode(403);

        admin.post("/console/admin/reservations", reservation).then().statusCode(303);
        as(ADMIN_KEY).get("/admin/billing/reservations?tenant=" + tenant).then().statusCode(200)
                .body("data[0].id", org.hamcrest.Matchers.equalTo("csrf-" + tenant));
    }

    @Test
    void aTenantMemberOpeningAnAdminPageGetsThe403PageAndSeesOnlyTheirTenant() {
        String tenant = Api.newTenant("member");
        String other = Api.newTenant("other");
        ConsoleClient member = ConsoleClient.login(Api.newKey(tenant, "tenant-member"));
        member.get("/console").then().statusCode(303).header("Location", containsString("/console/tenant"));
        for (String page : new String[] { "/console/admin", "/console/admin/tenants", "/console/admin/tenants/" + other,
                "/console/admin/invoices", "/console/admin/prices" }) {
            member.get(page).then().statusCode(403).contentType(containsString("text/html"))
                    .body(containsString("Not allowed")).body(not(containsString(other)));
        }
        member.get("/console/tenant").then().statusCode(200).body(containsString(tenant)).body(not(containsString(other)));
        // Members see keys but may not create or revoke them.
        member.get("/console/tenant/keys").then().statusCode(200).body(not(containsString("Create key")));
        member.post("/console/tenant/keys", Map.of("name", "x", "role", "tenant-member")).then().statusCode(403);
    }

    @Test
    void revokingTheKeyEndsItsSessionsWithinTheKeyCacheTtl() {
        String tenant = Api.newTenant("revoked");
        String secret = Api.newKey(tenant, "tenant-admin");
        ConsoleClient session = ConsoleClient.login(secret);
        session.get("/console/tenant").then().statusCode(200);
        as(ADMIN_KEY).delete("/v1/keys/" + Api.keyId(tenant, secret)).then().statusCode(200);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> session.get("/console/tenant").then().statusCode(303)
                .header("Location", containsString("/console/login")));
    }

    @Test
    void pagesForbidInlineScriptAndFramingAndAreNotCached() {
        ConsoleClient admin = ConsoleClient.login(ADMIN_KEY);
        Response page = admin.get("/console/admin");
        assertTrue(page.getHeader("Content-Security-Policy").contains("script-src 'self'"));
        assertEquals("DENY", page.getHeader("X-Frame-Options"));
        assertEquals("no-store", page.getHeader("Cache-Control"));
        String html = page.asString();
        assertFalse(html.matches("(?s).*<script>.*"), "no inline script");
        assertFalse(html.contains("http://") || html.contains("https://"), "no request leaves the origin");
        given().get("/console/vendor/chart.umd.min.js").then().statusCode(200).body(containsString("Chart.js v4"));
        given().get("/console/assets/console.js").then().statusCode(200);
    }
}
