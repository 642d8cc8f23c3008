package io.maas.gateway.auth;

import static io.maas.testing.Api.ADMIN_KEY;
import static io.maas.testing.Api.as;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.nullValue;

import java.util.List;
import java.util.Map;

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
        for (String tenant : List.of("acme", "globex")) {
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
        as(forged).get("/v1/me").then().statusCode(401);
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
        as(shortLived).get("/v1/me").then().statusCode(401);
    }

    @Test
    void apiKeysStillWorkBesideOidc() {
        as(ADMIN_KEY).get("/v1/me").then().statusCode(200).body("tenant_id", equalTo("platform"));
        as("sk-wrong-0000000000000000000000000000").get("/v1/me").then().statusCode(401);
    }
}
