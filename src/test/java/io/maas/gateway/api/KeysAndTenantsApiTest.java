package io.maas.gateway.api;

import static io.maas.testing.Api.ADMIN_KEY;
import static io.maas.testing.Api.as;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasKey;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;

import jakarta.inject.Inject;
import jakarta.transaction.TransactionRequiredException;
import jakarta.transaction.TransactionalException;

import org.junit.jupiter.api.Test;

import io.maas.admin.audit.AuditLog;
import io.maas.gateway.auth.Caller;
import io.maas.testing.Api;
import io.maas.testing.EmbeddedServicesResource;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.runtime.QuarkusPrincipal;
import io.quarkus.security.runtime.QuarkusSecurityIdentity;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

/** Tenants and API keys managed through the API, filtered by tenant in the service layer, and audited. */
@QuarkusTest
@QuarkusTestResource(value = EmbeddedServicesResource.class, restrictToAnnotatedClass = false)
class KeysAndTenantsApiTest {
    private static final String COMPLETION = "{\"model\":\"demo-tiny\",\"prompt\":\"hi\",\"max_tokens\":1}";

    @Inject
    AuditLog audit;

    @Test
    void platformAdminCreatesAndListsTenantsOthersCannot() {
        String tenant = Api.newTenant("acme");
        as(ADMIN_KEY).get("/admin/tenants").then().statusCode(200).body("data.id", hasItem(tenant));
        as(ADMIN_KEY).get("/admin/tenants/" + tenant).then().statusCode(200).body("name", equalTo("acme Inc."));
        as(ADMIN_KEY).body(Map.of("id", tenant, "name", "again")).post("/admin/tenants")
                .then().statusCode(409).body("error.code", equalTo("tenant_exists"));
        as(ADMIN_KEY).body(Map.of("id", "Not An Id!", "name", "x")).post("/admin/tenants")
                .then().statusCode(400).body("error.param", equalTo("id"));
        String tenantAdmin = Api.newKey(tenant, "tenant-admin");
        as(tenantAdmin).get("/admin/tenants").then().statusCode(403);
        as(tenantAdmin).body(Map.of("id", "sneaky", "name", "x")).post("/admin/tenants").then().statusCode(403);
    }

    @Test
    void tenantAdminCreatesKeyWhoseSecretIsShownOnlyOnce() {
        String tenant = Api.newTenant("keys");
        String tenantAdmin = Api.newKey(tenant, "tenant-admin");
        var created = as(tenantAdmin).body(Map.of("name", "ci pipeline")).post("/v1/keys").then().statusCode(201)
                .body("secret", startsWith("sk-"))
                .body("tenant_id", equalTo(tenant))
                .body("roles", contains("tenant-member"))
                .body("allowed_models", empty())
                .body("revoked_at", nullValue())
                .extract();
        String secret = created.path("secret");
        String id = created.path("id");
        as(tenantAdmin).get("/v1/keys").then().statusCode(200)
                .body("data.id", hasItem(id))
                .body("data", everyItem(not(hasKey("secret"))))
                .body("data.find { it.id == '" + id + "' }.prefix", equalTo(secret.substring(0, 8)));
        as(tenantAdmin).get("/v1/keys/" + id).then().statusCode(200).body("$", not(hasKey("secret")));
        // The new key works.
        as(secret).body(COMPLETION).post("/v1/completions").then().statusCode(200);
    }

    @Test
    void tenantAdminRenamesScopesAndRevokesKeysAndEveryChangeIsAudited() {
        String tenant = Api.newTenant("life");
        String tenantAdmin = Api.newKey(tenant, "tenant-admin");
        String secret = as(tenantAdmin).body(Map.of("name", "first")).post("/v1/keys").then().statusCode(201)
                .extract().path("secret");
        String id = Api.keyId(tenant, secret);

        as(tenantAdmin).body(Map.of("name", "renamed")).patch("/v1/keys/" + id).then().statusCode(200)
                .body("name", equalTo("renamed"));
        as(tenantAdmin).body(Map.of("allowed_models", List.of("demo-tiny"))).patch("/v1/keys/" + id)
                .then().statusCode(200).body("allowed_models", contains("demo-tiny"));
        as(tenantAdmin).delete("/v1/keys/" + id).then().statusCode(200).body("revoked_at", notNullValue());
        as(tenantAdmin).get("/v1/keys/" + id).then().statusCode(200).body("revoked_at", notNullValue());

        as(ADMIN_KEY).queryParam("tenant", tenant).get("/admin/audit").then().statusCode(200)
                .body("data.action", hasItem("tenant.create"))
                .body("data.findAll { it.target_id == '" + id + "' }.action",
                        contains("api_key.revoke", "api_key.update", "api_key.update", "api_key.create"))
                .body("data.find { it.action == 'api_key.revoke' }.actor", startsWith("key:"))
                .body("data.find { it.action == 'api_key.revoke' }.actor_tenant_id", equalTo(tenant))
                .body("data.find { it.action == 'api_key.update' }.details.name", nullValue())
                .body("data.find { it.action == 'api_key.create' && it.target_id == '" + id + "' }.details.prefix",
                        equalTo(secret.substring(0, 8)));
        as(tenantAdmin).get("/admin/audit").then().statusCode(403);
    }

    @Test
    void anotherTenantsKeysAndTenantAreNotFoundNotForbidden() {
        String a = Api.newTenant("tenant-a");
        String b = Api.newTenant("tenant-b");
        String aMember = Api.newKey(a, "tenant-member");
        String aKeyId = Api.keyId(a, aMember);
        String bAdmin = Api.newKey(b, "tenant-admin");

        as(bAdmin).get("/v1/keys/" + aKeyId).then().statusCode(404).body("error.code", equalTo("not_found"));
        as(bAdmin).body(Map.of("name", "mine now")).patch("/v1/keys/" + aKeyId).then().statusCode(404);
        as(bAdmin).delete("/v1/keys/" + aKeyId).then().statusCode(404);
        as(bAdmin).get("/v1/keys/00000000-0000-0000-0000-000000000000").then().statusCode(404);
        as(bAdmin).queryParam("tenant_id", a).get("/v1/keys").then().statusCode(404);
        as(bAdmin).body(Map.of("name", "x", "tenant_id", a)).post("/v1/keys").then().statusCode(404);
        as(bAdmin).get("/v1/keys").then().statusCode(200).body("data.tenant_id", everyItem(equalTo(b)));
        // A's key still works, untouched.
        as(aMember).body(COMPLETION).post("/v1/completions").then().statusCode(200);
    }

    @Test
    void tenantMembersCannotManageKeysAndTenantAdminsCannotMintPlatformAdmins() {
        String tenant = Api.newTenant("roles");
        String member = Api.newKey(tenant, "tenant-member");
        as(member).get("/v1/keys").then().statusCode(403);
        as(member).body(Map.of("name", "x")).post("/v1/keys").then().statusCode(403);
        String tenantAdmin = Api.newKey(tenant, "tenant-admin");
        as(tenantAdmin).body(Map.of("name", "x", "roles", List.of("platform-admin"))).post("/v1/keys")
                .then().statusCode(400).body("error.param", equalTo("roles"));
        given().get("/v1/keys").then().statusCode(401);
    }

    @Test
    void scopedKeyCannotUseOrSeeOtherModels() {
        String tenant = Api.newTenant("scope");
        String tenantAdmin = Api.newKey(tenant, "tenant-admin");
        String elsewhere = as(tenantAdmin).body(Map.of("name", "other", "allowed_models", List.of("some-other-model")))
                .post("/v1/keys").then().statusCode(201).extract().path("secret");
        as(elsewhere).body(COMPLETION).post("/v1/completions").then().statusCode(404)
                .body("error.code", equalTo("model_not_found"))
                .body("error.param", equalTo("model"));
        as(elsewhere).get("/v1/models").then().statusCode(200).body("data", empty());
        as(elsewhere).get("/v1/models/demo-tiny").then().statusCode(404).body("error.code", equalTo("model_not_found"));

        String demoOnly = as(tenantAdmin).body(Map.of("name", "demo", "allowed_models", List.of("demo-tiny")))
                .post("/v1/keys").then().statusCode(201).extract().path("secret");
        as(demoOnly).body(COMPLETION).post("/v1/completions").then().statusCode(200);
        as(demoOnly).get("/v1/models").then().statusCode(200).body("data.id", contains("demo-tiny"));
    }

    @Test
    void auditEntriesCannotBeWrittenOutsideTheActionsTransaction() {
        SecurityIdentity identity = QuarkusSecurityIdentity.builder().setPrincipal(new QuarkusPrincipal("someone"))
                .addAttribute("maas.tenant-id", "platform").build();
        TransactionalException e = assertThrows(TransactionalException.class,
                () -> audit.record(Caller.of(identity), "x", "y", "z", null, Map.of()));
        assertInstanceOf(TransactionRequiredException.class, e.getCause());
    }
}
