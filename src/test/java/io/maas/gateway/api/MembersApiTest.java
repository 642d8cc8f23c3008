package io.maas.gateway.api;

import static io.maas.testing.Api.ADMIN_KEY;
import static io.maas.testing.Api.as;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.startsWith;

import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.maas.testing.Api;
import io.maas.testing.EmbeddedServicesResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * Tenant members managed through {@code /v1/members} by tenant admins (API keys here; OIDC tokens mapped
 * through membership are tested in OidcAuthTest): add, list, change role, remove, audited, tenant-isolated.
 */
@QuarkusTest
@QuarkusTestResource(value = EmbeddedServicesResource.class, restrictToAnnotatedClass = false)
class MembersApiTest {

    private static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    @Test
    void tenantAdminAddsListsChangesAndRemovesMembersAndEveryChangeIsAudited() {
        String tenant = Api.newTenant("members");
        String admin = Api.newKey(tenant, "tenant-admin");
        String email = unique("Ada") + "@Example.COM";
        String id = as(admin).body(Map.of("email", email)).post("/v1/members").then().statusCode(201)
                .body("object", equalTo("tenant_member"))
                .body("tenant_id", equalTo(tenant))
                .body("email", equalTo(email.toLowerCase()))
                .body("subject", nullValue())
                .body("role", equalTo("tenant-member"))
                .body("created_by", startsWith("key:"))
                .extract().path("id");
        String subject = UUID.randomUUID().toString();
        String second = as(admin).body(Map.of("subject", subject, "role", "provider")).post("/v1/members").then()
                .statusCode(201).body("role", equalTo("provider")).extract().path("id");

        as(admin).get("/v1/members").then().statusCode(200)
                .body("object", equalTo("list"))
                .body("data.id", contains(id, second))
                .body("data.tenant_id", everyItem(equalTo(tenant)));
        as(admin).body(Map.of("role", "tenant-admin")).patch("/v1/members/" + id).then().statusCode(200)
                .body("role", equalTo("tenant-admin"));
        as(admin).get("/v1/members/" + id).then().statusCode(200).body("role", equalTo("tenant-admin"));
        as(admin).delete("/v1/members/" + second).then().statusCode(204);
        as(admin).get("/v1/members/" + second).then().statusCode(404).body("error.code", equalTo("not_found"));
        as(admin).get("/v1/members").then().statusCode(200).body("data.id", contains(id));

        as(ADMIN_KEY).queryParam("tenant", tenant).get("/admin/audit").then().statusCode(200)
                .body("data.findAll { it.target_id == '" + id + "' }.action", contains("member.update", "member.add"))
                .body("data.find { it.target_id == '" + id + "' && it.action == 'member.update' }.details.role.to",
                        equalTo("tenant-admin"))
                .body("data.find { it.target_id == '" + second + "' && it.action == 'member.remove' }.details.subject",
                        equalTo(subject))
                .body("data.find { it.action == 'member.add' }.actor_tenant_id", equalTo(tenant));
    }

    @Test
    void anotherTenantsMemberIdsAre404AndItsListIsNotReachable() {
        String tenantA = Api.newTenant("members-a");
        String tenantB = Api.newTenant("members-b");
        String adminA = Api.newKey(tenantA, "tenant-admin");
        String adminB = Api.newKey(tenantB, "tenant-admin");
        String id = as(adminA).body(Map.of("subject", UUID.randomUUID().toString())).post("/v1/members").then()
                .statusCode(201).extract().path("id");

        as(adminB).get("/v1/members/" + id).then().statusCode(404).body("error.code", equalTo("not_found"));
        as(adminB).body(Map.of("role", "tenant-admin")).patch("/v1/members/" + id).then().statusCode(404);
        as(adminB).delete("/v1/members/" + id).then().statusCode(404);
        as(adminB).queryParam("tenant_id", tenantA).get("/v1/members").then().statusCode(404);
        as(adminB).body(Map.of("subject", UUID.randomUUID().toString(), "tenant_id", tenantA)).post("/v1/members")
                .then().statusCode(404);
        as(adminB).get("/v1/members").then().statusCode(200).body("data.id", not(hasItem(id)));
        // Unchanged by B's attempts; the platform admin sees it in A.
        as(ADMIN_KEY).queryParam("tenant_id", tenantA).get("/v1/members").then().statusCode(200)
                .body("data.id", contains(id)).body("data[0].role", equalTo("tenant-member"));
        as(adminA).get("/v1/members/not-a-uuid").then().statusCode(404);
    }

    @Test
    void membersAreValidatedAndAPrincipalBelongsToOneTenant() {
        String tenant = Api.newTenant("members-v");
        String other = Api.newTenant("members-w");
        String admin = Api.newKey(tenant, "tenant-admin");
        as(admin).body(Map.of("role", "tenant-member")).post("/v1/members").then().statusCode(400)
                .body("error.param", equalTo("subject"));
        as(admin).body(Map.of("email", "not an email")).post("/v1/members").then().statusCode(400)
                .body("error.param", equalTo("email"));
        as(admin).body(Map.of("subject", "has space")).post("/v1/members").then().statusCode(400)
                .body("error.param", equalTo("subject"));
        as(admin).body(Map.of("subject", unique("s"), "role", "platform-admin")).post("/v1/members").then()
                .statusCode(400).body("error.param", equalTo("role"));
        String email = unique("once") + "@example.com";
        String id = as(admin).body(Map.of("email", email)).post("/v1/members").then().statusCode(201)
                .extract().path("id");
        as(admin).body(Map.of("email", email.toUpperCase())).post("/v1/members").then().statusCode(409)
                .body("error.code", equalTo("member_exists"));
        as(ADMIN_KEY).body(Map.of("email", email, "tenant_id", other)).post("/v1/members").then().statusCode(409);
        as(admin).body(Map.of("role", "owner")).patch("/v1/members/" + id).then().statusCode(400)
                .body("error.param", equalTo("role"));
        as(admin).body("{}").patch("/v1/members/" + id).then().statusCode(400).body("error.param", equalTo("role"));
    }

    @Test
    void onlyTenantAdminsAndPlatformAdminsManageMembers() {
        String tenant = Api.newTenant("members-r");
        as(Api.newKey(tenant, "tenant-member")).get("/v1/members").then().statusCode(403);
        as(Api.newKey(tenant, "provider")).body(Map.of("subject", unique("p"))).post("/v1/members").then()
                .statusCode(403);
        io.restassured.RestAssured.given().get("/v1/members").then().statusCode(401);
    }
}
