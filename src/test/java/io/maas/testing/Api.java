package io.maas.testing;

import static io.restassured.RestAssured.given;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import io.restassured.http.ContentType;
import io.restassured.specification.RequestSpecification;

/** Small helpers for tests that set up tenants and keys through the real HTTP API. */
public final class Api {
    public static final String ADMIN_KEY = EmbeddedServicesResource.ADMIN_KEY;

    private Api() {
    }

    public static RequestSpecification as(String secret) {
        return given().header("Authorization", "Bearer " + secret).contentType(ContentType.JSON);
    }

    /** A new tenant with a fresh id starting with {@code prefix}. */
    public static String newTenant(String prefix) {
        String id = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
        as(ADMIN_KEY).body(Map.of("id", id, "name", prefix + " Inc.")).post("/admin/tenants").then().statusCode(201);
        return id;
    }

    /** Creates a key in {@code tenant} with these roles (as the platform admin) and returns its secret. */
    public static String newKey(String tenant, String... roles) {
        return as(ADMIN_KEY).body(Map.of("name", "test key", "tenant_id", tenant, "roles", List.of(roles)))
                .post("/v1/keys").then().statusCode(201).extract().path("secret");
    }

    /** The id of the key with this secret, as the platform admin sees it. */
    public static String keyId(String tenant, String secret) {
        List<Map<String, Object>> keys = as(ADMIN_KEY).queryParam("tenant_id", tenant).get("/v1/keys").then()
                .statusCode(200).extract().path("data");
        return keys.stream().filter(k -> secret.startsWith((String) k.get("prefix")))
                .map(k -> (String) k.get("id")).reduce((a, b) -> {
                    throw new IllegalStateException("two keys share a prefix");
                }).orElseThrow();
    }
}
