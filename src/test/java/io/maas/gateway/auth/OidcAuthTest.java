package io.maas.gateway.auth;

import static io.maas.testing.Api.ADMIN_KEY;
import static io.maas.testing.Api.as;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.nullValue;

import java.util.List;
import java.util.Map;

import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.maas.testing.KeycloakResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/**
 * Keycloak access tokens from a real Keycloak (the project's realm export), beside API keys: users by the
 * password grant, a service account by the client-credentials grant; tenant from the {@code tenant_id}
 * claim, roles from {@code realm_access/roles}; forged, foreign and expired tokens are refused.
 */
@QuarkusTest
@TestProfile(OidcAuthTest.WithKeycloak.class)
public class OidcAuthTest {
    /** Starts Keycloak for this test class only. */
    public static class WithKeycloak implements QuarkusTestProfile {
        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(KeycloakResource.class));
        }
    }

    @ConfigProperty(name = KeycloakResource.URL_PROPERTY)
    String keycloak;

    @BeforeEach
    void tenantsOfTheRealmExist() {
        for (String tenant : List.of("acme", "globex", "initech")) {
            int status = as(ADMIN_KEY).body(Map.of("id", tenant, "name", tenant)).post("/admin/tenants").statusCode();
            if (status != 201 && status != 409) {
                throw new IllegalStateException("could not create tenant " + tenant + ": " + status);
            }
        }
    }

    private String passwordToken(String realm, String client, String user) {
        return given().formParams(Map.of("grant_type", "password", "client_id", client, "username", user,
                "password", user + "-pw"))
                .post(keycloak + "/realms/" + realm + "/protocol/openid-connect/token")
                .then().statusCode(200).extract().path("access_token");
    }

    private String userToken(String user) {
        return passwordToken("maas", "maas-api", user);
    }

    @Test
    void userTokenActsForTheTenantInItsClaim() {
        String token = userToken("acme-dev");
        as(token).get("/v1/me").then().statusCode(200)
                .body("principal", equalTo("acme-dev"))
                .body("tenant_id", equalTo("acme"))
                .body("roles", equalTo(List.of("tenant-member")))
                .body("api_key_id", nullValue());
        as(token).get("/v1/models").then().statusCode(200).body("data.id", hasItem("demo-tiny"));
        as(token).body("{\"model\":\"demo-tiny\",\"prompt\":\"hi\",\"max_tokens\":1}").post("/v1/completions")
                .then().statusCode(200);
    }

    @Test
    void serviceAccountTokenFromClientCredentialsWorks() {
        String token = given().formParams(Map.of("grant_type", "client_credentials", "client_id", "acme-batch",
                "client_secret", "acme-batch-secret"))
                .post(keycloak + "/realms/maas/protocol/openid-connect/token")
                .then().statusCode(200).extract().path("access_token");
        as(token).get("/v1/me").then().statusCode(200)
                .body("tenant_id", equalTo("acme"))
                .body("roles", equalTo(List.of("tenant-member")));
        as(token).get("/v1/models").then().statusCode(200);
    }

    @Test
    void tenantAdminTokenManagesOnlyItsTenantsKeysAndIsAuditedByName() {
        String acmeAdmin = userToken("acme-admin");
        String id = as(acmeAdmin).body(Map.of("name", "from keycloak")).post("/v1/keys").then().statusCode(201)
                .body("tenant_id", equalTo("acme")).extract().path("id");
        as(acmeAdmin).get("/v1/keys").then().statusCode(200).body("data.tenant_id", everyItem(equalTo("acme")));
        as(userToken("globex-admin")).get("/v1/keys/" + id).then().statusCode(404);
        as(ADMIN_KEY).queryParam("tenant", "acme").get("/admin/audit").then().statusCode(200)
                .body("data.find { it.target_id == '" + id + "' }.actor", equalTo("acme-admin"));
    }

    @Test
    void platformAdminTokenCanCallAdminAndTenantMemberCannot() {
        as(userToken("platform-admin")).get("/admin/tenants").then().statusCode(200)
                .body("data.id", hasItem("acme"));
        as(userToken("acme-dev")).get("/admin/tenants").then().statusCode(403)
                .body("error.type", equalTo("permission_error"));
        as(userToken("globex-provider")).get("/admin/tenants").then().statusCode(403);
    }

    @Test
    void tokenWithABadSignatureIs401() {
        String token = userToken("platform-admin");
        String[] parts = token.split("\\.");
        char last = parts[2].charAt(10);
        String forged = parts[0] + "." + parts[1] + "." + parts[2].substring(0, 10) + (last == 'A' ? 'B' : 'A')
                + parts[2].substring(11);
        as(forged).get("/v1/me").then().statusCode(401)
                .body("error.code", equalTo("invalid_token"))
                .body("error.message", containsString("access token is not valid"))
                .body("error.message", not(containsString("API key")));
        // A payload edited to claim another tenant, with the original signature, fails the same way.
        String otherTenant = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(
                new String(java.util.Base64.getUrlDecoder().decode(parts[1])).replace("\"platform\"", "\"globex\"")
                        .getBytes());
        as(parts[0] + "." + otherTenant + "." + parts[2]).get("/v1/me").then().statusCode(401);
    }

    @Test
    void tokenFromAnotherRealmIs401() {
        String foreign = passwordToken("other", "maas-api", "intruder");
        as(foreign).get("/v1/me").then().statusCode(401);
        as(foreign).get("/admin/tenants").then().statusCode(401);
    }

    @Test
    void expiredTokenIs401() {
        String shortLived = passwordToken("maas", "maas-short-lived", "acme-dev");
        as(shortLived).get("/v1/me").then().statusCode(200);
        // The client's access tokens live 2 s: the same token must be refused once that has passed.
        await().pollDelay(java.time.Duration.ofSeconds(2)).atMost(java.time.Duration.ofSeconds(30))
                .until(() -> as(shortLived).get("/v1/me").statusCode() == 401);
        as(shortLived).get("/v1/me").then().statusCode(401)
                .body("error.code", equalTo("token_expired"))
                .body("error.message", containsString("expired"))
                .body("error.message", not(containsString("API key")));
    }

    @Test
    void apiKeysStillWorkBesideOidc() {
        as(ADMIN_KEY).get("/v1/me").then().statusCode(200).body("tenant_id", equalTo("platform"));
        as("sk-wrong-0000000000000000000000000000").get("/v1/me").then().statusCode(401);
    }

    private static String subjectOf(String token) {
        String payload = new String(java.util.Base64.getUrlDecoder().decode(token.split("\\.")[1]),
                java.nio.charset.StandardCharsets.UTF_8);
        return io.restassured.path.json.JsonPath.from(payload).getString("sub");
    }

    @Test
    void tokenWithoutTenantClaimActsForTheTenantOfItsMembership() {
        // initech-lead has no tenant_id attribute and no realm role: nothing to act as until added as a member.
        as(userToken("initech-lead")).get("/v1/me").then().statusCode(403);
        String leadId = as(ADMIN_KEY).body(Map.of("email", "Initech-Lead@example.com", "role", "tenant-admin",
                "tenant_id", "initech")).post("/v1/members").then().statusCode(201).extract().path("id");
        String lead = userToken("initech-lead");
        as(lead).get("/v1/me").then().statusCode(200)
                .body("principal", equalTo("initech-lead"))
                .body("tenant_id", equalTo("initech"))
                .body("roles", hasItem("tenant-admin"));

        // The lead (a tenant admin through membership) manages initech's members with the token.
        String dev = userToken("initech-dev");
        as(lead).body(Map.of("email", "initech-dev@example.com")).post("/v1/members").then().statusCode(201);
        // initech-dev's email is not verified: a membership by email does not apply to the token.
        as(dev).get("/v1/me").then().statusCode(403);
        String devId = as(lead).body(Map.of("subject", subjectOf(dev))).post("/v1/members").then().statusCode(201)
                .body("tenant_id", equalTo("initech")).extract().path("id");
        as(dev).get("/v1/me").then().statusCode(200).body("tenant_id", equalTo("initech"))
                .body("roles", hasItem("tenant-member"));
        as(dev).body("{\"model\":\"demo-tiny\",\"prompt\":\"hi\",\"max_tokens\":1}").post("/v1/completions")
                .then().statusCode(200);
        as(dev).get("/v1/members").then().statusCode(403);

        // Changing the role changes what the same token may do, at once on this gateway.
        as(lead).body(Map.of("role", "provider")).patch("/v1/members/" + devId).then().statusCode(200);
        as(dev).get("/v1/me").then().statusCode(200).body("roles", hasItem("provider"))
                .body("roles", not(hasItem("tenant-member")));
        as(dev).body("{\"model\":\"demo-tiny\",\"prompt\":\"hi\",\"max_tokens\":1}").post("/v1/completions")
                .then().statusCode(403);
        as(lead).delete("/v1/members/" + devId).then().statusCode(204);
        as(dev).get("/v1/me").then().statusCode(403);

        // Another tenant's admin (a claim-mapped token) cannot see or change initech's members.
        String acmeAdmin = userToken("acme-admin");
        as(acmeAdmin).get("/v1/members/" + leadId).then().statusCode(404);
        as(acmeAdmin).delete("/v1/members/" + leadId).then().statusCode(404);
        as(acmeAdmin).get("/v1/members").then().statusCode(200).body("data.id", not(hasItem(leadId)));
        as(ADMIN_KEY).queryParam("tenant", "initech").get("/admin/audit").then().statusCode(200)
                .body("data.find { it.action == 'member.remove' && it.target_id == '" + devId + "' }.actor",
                        equalTo("initech-lead"));
    }

    @Test
    void aTenantClaimTakesPrecedenceOverAMembership() {
        as(ADMIN_KEY).body(Map.of("email", "globex-dev@example.com", "role", "tenant-admin", "tenant_id", "initech"))
                .post("/v1/members").then().statusCode(201);
        as(userToken("globex-dev")).get("/v1/me").then().statusCode(200)
                .body("tenant_id", equalTo("globex"))
                .body("roles", equalTo(List.of("tenant-member")));
    }

    @Inject
    VerifiedTokenCache verifiedTokens;

    @Test
    void aValidatedTokenIsReusedWhileValidAndAForgedVariantIsNot() {
        String token = userToken("acme-dev");
        verifiedTokens.clear();
        as(token).get("/v1/me").then().statusCode(200);
        org.junit.jupiter.api.Assertions.assertTrue(verifiedTokens.get(token).isPresent(), "validated token cached");
        as(token).get("/v1/me").then().statusCode(200).body("tenant_id", equalTo("acme"))
                .body("principal", equalTo("acme-dev"));
        String[] parts = token.split("\\.");
        String forged = parts[0] + "." + parts[1] + "." + parts[2].substring(0, parts[2].length() - 2)
                + (parts[2].endsWith("AA") ? "BB" : "AA");
        as(forged).get("/v1/me").then().statusCode(401).body("error.code", equalTo("invalid_token"));
        org.junit.jupiter.api.Assertions.assertTrue(verifiedTokens.get(forged).isEmpty(), "failures are not cached");
    }
}
