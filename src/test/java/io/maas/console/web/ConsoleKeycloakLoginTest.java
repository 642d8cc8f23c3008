package io.maas.console.web;

import static io.maas.testing.Api.ADMIN_KEY;
import static io.maas.testing.Api.as;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URL;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.support.ui.WebDriverWait;

import io.maas.gateway.auth.OidcAuthTest;
import io.maas.testing.KeycloakResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;

/**
 * Console single sign-on through Keycloak's real login page (the authorization-code flow with PKCE against the
 * project's realm), in headless Chromium. Shares OidcAuthTest's profile, so no extra application start.
 */
@QuarkusTest
@TestProfile(OidcAuthTest.WithKeycloak.class)
class ConsoleKeycloakLoginTest {
    @ConfigProperty(name = KeycloakResource.URL_PROPERTY)
    String keycloak;

    @TestHTTPResource("/")
    URL base;

    static HeadlessChromium browser;
    static WebDriver driver;

    /** A fresh browser per test: Keycloak's own single sign-on session must not carry one user into the next. */
    @BeforeEach
    void startBrowser() throws IOException {
        browser = new HeadlessChromium();
        driver = browser.driver;
    }

    @AfterEach
    void stopBrowser() throws IOException {
        if (browser != null) {
            browser.close();
        }
    }

    @BeforeEach
    void realmKnowsThisAppAndTenantsExist() {
        for (String tenant : List.of("acme", "globex")) {
            int status = as(ADMIN_KEY).body(Map.of("id", tenant, "name", tenant)).post("/admin/tenants").statusCode();
            if (status != 201 && status != 409) {
                throw new IllegalStateException("could not create tenant " + tenant + ": " + status);
            }
        }
        // The realm export allows the console on port 8080; this test's app listens on a free port, which an
        // operator would add the same way (Keycloak admin API, as the realm's admin).
        String admin = given().formParams(Map.of("grant_type", "password", "client_id", "admin-cli", "username", "admin",
                "password", "admin")).post(keycloak + "/realms/master/protocol/openid-connect/token").then()
                .statusCode(200).extract().path("access_token");
        List<Map<String, Object>> clients = given().auth().oauth2(admin).queryParam("clientId", "maas-api")
                .get(keycloak + "/admin/realms/maas/clients").then().statusCode(200).extract().path("$");
        Map<String, Object> client = clients.get(0);
        @SuppressWarnings("unchecked")
        List<String> uris = new ArrayList<>((List<String>) client.get("redirectUris"));
        String mine = base.toString().replaceAll("/$", "") + "/console/*";
        if (!uris.contains(mine)) {
            uris.add(mine);
            given().auth().oauth2(admin).contentType(ContentType.JSON).body(Map.of("redirectUris", uris))
                    .put(keycloak + "/admin/realms/maas/clients/" + client.get("id")).then().statusCode(204);
        }
    }

    private void open(String path) {
        driver.get(base.toString().replaceAll("/$", "") + path);
    }

    private static WebDriverWait waitUpTo(int seconds) {
        return new WebDriverWait(driver, Duration.ofSeconds(seconds));
    }

    private void signInWithKeycloak(String user, String screenshot) throws IOException {
        open("/console/login");
        driver.findElement(By.id("oidc-login")).click();
        waitUpTo(20).until(d -> d.getCurrentUrl().startsWith(keycloak + "/realms/maas/protocol/openid-connect/auth"));
        assertTrue(driver.getCurrentUrl().contains("code_challenge="), "PKCE: " + driver.getCurrentUrl());
        waitUpTo(20).until(d -> !d.findElements(By.id("username")).isEmpty());
        if (screenshot != null) {
            browser.screenshot(screenshot);
        }
        driver.findElement(By.id("username")).sendKeys(user);
        driver.findElement(By.id("password")).sendKeys(user + "-pw");
        driver.findElement(By.id("kc-login")).click();
        try {
            waitUpTo(30).until(d -> d.getCurrentUrl().startsWith(base.toString().replaceAll("/$", "") + "/console/")
                    && !d.getCurrentUrl().contains("/console/oidc/"));
        } catch (org.openqa.selenium.TimeoutException e) {
            throw new AssertionError("not back in the console after Keycloak's login: at " + driver.getCurrentUrl()
                    + "\n" + driver.findElement(By.tagName("body")).getText(), e);
        }
    }

    @Test
    void aTenantMemberSignsInOnKeycloaksPageAndSeesOnlyTheirTenant() throws IOException {
        signInWithKeycloak("acme-dev", "10-keycloak-login");
        assertTrue(driver.getCurrentUrl().endsWith("/console/tenant"), driver.getCurrentUrl());
        assertTrue(driver.findElement(By.cssSelector(".who")).getText().contains("acme"));
        assertFalse(driver.getPageSource().contains("globex"));
        open("/console/admin");
        assertEquals("Not allowed", driver.findElement(By.cssSelector("main h1")).getText());
        driver.findElement(By.cssSelector("form.logout button")).click();
        waitUpTo(10).until(d -> d.getCurrentUrl().contains("/console/login"));
        open("/console/tenant");
        assertTrue(driver.getCurrentUrl().contains("/console/login"), "logged out: " + driver.getCurrentUrl());
    }

    @Test
    void aPlatformAdminSignsInToTheAdminPagesAndTheKeyLoginStillWorks() {
        signInWithKeycloakQuietly("platform-admin");
        assertTrue(driver.getCurrentUrl().endsWith("/console/admin"), driver.getCurrentUrl());
        assertTrue(driver.getTitle().startsWith("Overview"));
        driver.findElement(By.cssSelector("form.logout button")).click();
        waitUpTo(10).until(d -> d.getCurrentUrl().contains("/console/login"));
        driver.findElement(By.id("api_key")).sendKeys(ADMIN_KEY + "\n");
        waitUpTo(10).until(d -> d.getCurrentUrl().endsWith("/console/admin"));
        driver.findElement(By.cssSelector("form.logout button")).click();
    }

    private void signInWithKeycloakQuietly(String user) {
        try {
            signInWithKeycloak(user, null);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
