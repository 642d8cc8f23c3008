package io.maas.gateway.api;

import static io.maas.testing.Api.ADMIN_KEY;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Stream;

import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;

import org.junit.jupiter.api.Test;

import io.maas.testing.Api;
import io.maas.testing.EmbeddedServicesResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.specification.RequestSpecification;

/**
 * Every endpoint × every kind of caller, with the status each must get. The endpoint list is read from the
 * compiled JAX-RS resources, so an endpoint added without a rule here fails the build, and a rule for an
 * endpoint that no longer exists does too. Objects acted on belong to tenant A; "wrong tenant" is tenant
 * B's admin reaching for them (404: other tenants' objects are not discoverable).
 */
@QuarkusTest
@QuarkusTestResource(value = EmbeddedServicesResource.class, restrictToAnnotatedClass = false)
class AuthorizationMatrixTest {
    /** The callers, in the order expected statuses are written. */
    enum Who { ANONYMOUS, TENANT_MEMBER, PROVIDER, TENANT_ADMIN, PLATFORM_ADMIN, WRONG_TENANT }

    private static final String COMPLETION = "{\"model\":\"demo-tiny\",\"prompt\":\"hi\",\"max_tokens\":1}";

    /** Tenant A, its callers' keys, and tenant B's admin. */
    static String tenantA;
    static final Map<Who, String> SECRETS = new EnumMap<>(Who.class);

    /** How to call one endpoint, and what each caller must get. */
    record Rule(String endpoint, Function<String, RequestSpecification> prepare, Function<Void, String> path,
            int[] expected) {
    }

    private static void callers() {
        tenantA = Api.newTenant("matrix-a");
        String tenantB = Api.newTenant("matrix-b");
        SECRETS.put(Who.TENANT_MEMBER, Api.newKey(tenantA, "tenant-member"));
        SECRETS.put(Who.PROVIDER, Api.newKey(tenantA, "provider"));
        SECRETS.put(Who.TENANT_ADMIN, Api.newKey(tenantA, "tenant-admin"));
        SECRETS.put(Who.PLATFORM_ADMIN, ADMIN_KEY);
        SECRETS.put(Who.WRONG_TENANT, Api.newKey(tenantB, "tenant-admin"));
    }

    private static String keyOfA() {
        return Api.keyId(tenantA, Api.newKey(tenantA, "tenant-member"));
    }

    private static Rule rule(String endpoint, String path, String body, String expected) {
        return rule(endpoint, v -> path, body, expected);
    }

    private static Rule rule(String endpoint, Function<Void, String> path, String body, String expected) {
        int[] statuses = Stream.of(expected.trim().split("\\s+")).mapToInt(Integer::parseInt).toArray();
        if (statuses.length != Who.values().length) {
            throw new IllegalArgumentException(endpoint + ": one status per caller " + List.of(Who.values()));
        }
        return new Rule(endpoint, secret -> {
            RequestSpecification spec = given().contentType(ContentType.JSON);
            if (secret != null) {
                spec = spec.header("Authorization", "Bearer " + secret);
            }
            return body == null ? spec : spec.body(body);
        }, path, statuses);
    }

    /** The declared rules:            anonymous member provider tenant-admin platform-admin wrong-tenant */
    private static List<Rule> rules() {
        String keyBody = "{\"name\":\"matrix\",\"tenant_id\":\"" + tenantA + "\"}";
        return List.of(
                rule("POST /v1/completions", "/v1/completions", COMPLETION, "401 200 403 200 200 200"),
                rule("GET /v1/models", "/v1/models", null, "401 200 403 200 200 200"),
                rule("GET /v1/models/{id}", "/v1/models/demo-tiny", null, "401 200 403 200 200 200"),
                rule("GET /v1/me", "/v1/me", null, "401 200 200 200 200 200"),
                rule("POST /v1/keys", "/v1/keys", keyBody, "401 403 403 201 201 404"),
                rule("GET /v1/keys", "/v1/keys?tenant_id=" + tenantA, null, "401 403 403 200 200 404"),
                rule("GET /v1/keys/{id}", v -> "/v1/keys/" + keyOfA(), null, "401 403 403 200 200 404"),
                rule("PATCH /v1/keys/{id}", v -> "/v1/keys/" + keyOfA(), "{\"name\":\"renamed\"}",
                        "401 403 403 200 200 404"),
                rule("DELETE /v1/keys/{id}", v -> "/v1/keys/" + keyOfA(), null, "401 403 403 200 200 404"),
                rule("GET /admin/tenants", "/admin/tenants", null, "401 403 403 403 200 403"),
                rule("GET /admin/tenants/{id}", "/admin/tenants/" + tenantA, null, "401 403 403 403 200 403"),
                rule("POST /admin/tenants", "/admin/tenants",
                        null, "401 403 403 403 201 403"),
                rule("GET /admin/audit", "/admin/audit", null, "401 403 403 403 200 403"),
                rule("GET /admin/usage", "/admin/usage", null, "401 403 403 403 200 403"),
                rule("POST /v1/chat/completions", "/v1/chat/completions",
                        "{\"model\":\"demo-tiny\",\"max_tokens\":1,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                        "401 200 403 200 200 200"),
                rule("POST /v1/embeddings", "/v1/embeddings",
                        "{\"model\":\"" + EmbeddedServicesResource.EMBEDDING_MODEL + "\",\"input\":\"hi\"}",
                        "401 200 403 200 200 200"),
                // Billing administration: platform admins only. Bodies are left empty where the admin's call
                // would change prices or reservations: the admin then gets the validation error, everyone else 403.
                rule("GET /admin/billing/prices", "/admin/billing/prices", null, "401 403 403 403 200 403"),
                rule("POST /admin/billing/prices", "/admin/billing/prices", "{}", "401 403 403 403 400 403"),
                rule("GET /admin/billing/unrated", "/admin/billing/unrated", null, "401 403 403 403 200 403"),
                rule("GET /admin/billing/reservations", "/admin/billing/reservations", null, "401 403 403 403 200 403"),
                rule("POST /admin/billing/reservations", "/admin/billing/reservations", "{}",
                        "401 403 403 403 400 403"),
                rule("POST /admin/billing/reservations/{id}/cancel",
                        "/admin/billing/reservations/00000000-0000-0000-0000-000000000000/cancel", "{}",
                        "401 403 403 403 404 403"),
                rule("GET /admin/billing/invoices", "/admin/billing/invoices", null, "401 403 403 403 200 403"),
                rule("GET /admin/billing/invoices/{tenant}/{period}", v -> "/admin/billing/invoices/" + tenantA + "/2026-11",
                        null, "401 403 403 403 200 403"),
                rule("GET /admin/billing/invoices/{tenant}/{period}.csv",
                        v -> "/admin/billing/invoices/" + tenantA + "/2026-11.csv", null, "401 403 403 403 200 403"),
                rule("POST /admin/billing/invoices/{tenant}/{period}/finalize",
                        v -> "/admin/billing/invoices/" + tenantA + "/2099-01/finalize", null, "401 403 403 403 409 403"),
                rule("POST /admin/billing/invoices/finalize-due", "/admin/billing/invoices/finalize-due", null,
                        "401 403 403 403 200 403"),
                rule("GET /admin/billing/provider-statements", "/admin/billing/provider-statements?period=2026-11", null,
                        "401 403 403 403 200 403"),
                rule("GET /admin/billing/budgets", "/admin/billing/budgets", null, "401 403 403 403 200 403"),
                rule("PUT /admin/billing/budgets/{tenant}", v -> "/admin/billing/budgets/" + tenantA, "{}",
                        "401 403 403 403 400 403"),
                rule("GET /admin/billing/budget-alerts", "/admin/billing/budget-alerts", null,
                        "401 403 403 403 200 403"),
                // identity: tenant members (tenant admins manage their own tenant's; another tenant's are 404)
                freshBodyRule("POST /v1/members", "/v1/members",
                        () -> "{\"subject\":\"" + UUID.randomUUID() + "\",\"tenant_id\":\"" + tenantA + "\"}",
                        "401 403 403 201 201 404"),
                rule("GET /v1/members", "/v1/members?tenant_id=" + tenantA, null, "401 403 403 200 200 404"),
                rule("GET /v1/members/{id}", v -> "/v1/members/" + memberOfA(), null, "401 403 403 200 200 404"),
                rule("PATCH /v1/members/{id}", v -> "/v1/members/" + memberOfA(), "{\"role\":\"provider\"}",
                        "401 403 403 200 200 404"),
                rule("DELETE /v1/members/{id}", v -> "/v1/members/" + memberOfA(), null, "401 403 403 204 204 404"),
                // catalog
                rule("POST /v1/catalog/adapters", "/v1/catalog/adapters", "{}", "401 403 422 403 422 403"),
                rule("GET /v1/catalog/adapters", "/v1/catalog/adapters", null, "401 200 200 200 200 200"),
                rule("GET /v1/catalog/adapters/{id}", "/v1/catalog/adapters/no-such-adapter", null,
                        "401 404 404 404 404 404"),
                rule("POST /v1/catalog/adapters/{id}/versions/{version}/status",
                        "/v1/catalog/adapters/no-such-adapter/versions/1.0.0/status", "{\"status\":\"published\"}",
                        "401 403 404 403 404 403"),
                rule("PUT /v1/catalog/provider-key", "/v1/catalog/provider-key", "{}", "401 403 400 403 403 403"),
                rule("POST /admin/catalog/adapters", "/admin/catalog/adapters", "{}", "401 403 403 403 400 403"),
                rule("GET /admin/catalog/licenses", "/admin/catalog/licenses", null, "401 403 403 403 200 403"),
                rule("PUT /admin/catalog/licenses/{spdx}", "/admin/catalog/licenses/MIT", "{}",
                        "401 403 403 403 400 403"),
                rule("GET /admin/catalog/retired-reservations", "/admin/catalog/retired-reservations", null,
                        "401 403 403 403 200 403"),
                rule("POST /admin/catalog/models", "/admin/catalog/models", "{}", "401 403 403 403 400 403"),
                rule("GET /admin/catalog/models", "/admin/catalog/models", null, "401 403 403 403 200 403"),
                // billing ops: payouts (platform admins) and a provider's own statement (provider role only; the
                // provider id is the caller's tenant, so wrong-tenant has nothing to reach).
                rule("POST /admin/billing/payouts", "/admin/billing/payouts", "{}", "401 403 403 403 400 403"),
                rule("GET /admin/billing/payouts", "/admin/billing/payouts", null, "401 403 403 403 200 403"),
                rule("GET /v1/provider/statements", "/v1/provider/statements?period=2026-11", null,
                        "401 403 200 403 403 403"),
                rule("PUT /admin/billing/token-quotas/{tenant}", v -> "/admin/billing/token-quotas/" + tenantA, "{}",
                        "401 403 403 403 400 403"),
                rule("GET /admin/billing/token-quotas", "/admin/billing/token-quotas", null,
                        "401 403 403 403 200 403"),
                // console: HTML pages. Anonymous callers are sent to the login page (303); a logged-in user without
                // the page's role gets the 403 page. Keys are sent as bearer headers here (no session, so no CSRF
                // token is due; ConsoleSecurityTest covers the cookie session and CSRF). Forms are posted empty:
                // the admin then gets the form back with its validation errors (400).
                console("GET /console", "/console", null, "303 303 403 303 303 303"),
                console("GET /console/login", "/console/login", null, "200 200 200 200 200 200"),
                consoleLogin(),
                console("POST /console/logout", "/console/logout", Map.of(), "303 303 303 303 303 303"),
                // Single sign-on is off in this profile: the link leads back to the key login; the code-flow
                // endpoint accepts only Keycloak's code flow (never an API key), so nobody gets past it here.
                console("GET /console/oidc/login", "/console/oidc/login", null, "303 303 303 303 303 303"),
                console("GET /console/oidc/session", "/console/oidc/session", null, "401 401 401 401 401 401"),
                console("GET /console/admin", "/console/admin", null, "303 403 403 403 200 403"),
                console("GET /console/admin/tenants", "/console/admin/tenants?q=matrix", null, "303 403 403 403 200 403"),
                console("GET /console/admin/tenants/{id}", v -> "/console/admin/tenants/" + tenantA, null,
                        "303 403 403 403 200 403"),
                console("GET /console/admin/prices", "/console/admin/prices", null, "303 403 403 403 200 403"),
                console("POST /console/admin/prices", "/console/admin/prices", Map.of(), "303 403 403 403 400 403"),
                console("GET /console/admin/reservations", "/console/admin/reservations", null, "303 403 403 403 200 403"),
                console("POST /console/admin/reservations", "/console/admin/reservations", Map.of(),
                        "303 403 403 403 400 403"),
                console("POST /console/admin/reservations/{id}/cancel", "/console/admin/reservations/no-such/cancel",
                        Map.of(), "303 403 403 403 404 403"),
                console("GET /console/admin/invoices", "/console/admin/invoices?period=2026-11", null,
                        "303 403 403 403 200 403"),
                console("GET /console/admin/invoices/{tenant}/{period}", v -> "/console/admin/invoices/" + tenantA + "/2026-11",
                        null, "303 403 403 403 200 403"),
                console("POST /console/admin/invoices/{tenant}/{period}/finalize",
                        v -> "/console/admin/invoices/" + tenantA + "/2099-01/finalize", Map.of(), "303 403 403 403 409 403"),
                console("GET /console/admin/invoices/{tenant}/{period}/csv",
                        v -> "/console/admin/invoices/" + tenantA + "/2026-11/csv", null, "303 403 403 403 200 403"),
                console("GET /console/admin/invoices/{tenant}/{period}/json",
                        v -> "/console/admin/invoices/" + tenantA + "/2026-11/json", null, "303 403 403 403 200 403"),
                console("GET /console/admin/providers", "/console/admin/providers?period=2026-11", null,
                        "303 403 403 403 200 403"),
                console("GET /console/admin/adapters", "/console/admin/adapters", null, "303 403 403 403 200 403"),
                // Tenant pages always show the caller's own tenant: tenant B's admin sees B (200), never A.
                console("GET /console/tenant", "/console/tenant", null, "303 200 403 200 403 200"),
                console("GET /console/tenant/invoices/{period}", "/console/tenant/invoices/2026-11", null,
                        "303 200 403 200 403 200"),
                console("GET /console/tenant/invoices/{period}/csv", "/console/tenant/invoices/2026-11/csv", null,
                        "303 200 403 200 403 200"),
                console("GET /console/tenant/keys", "/console/tenant/keys", null, "303 200 403 200 403 200"),
                console("POST /console/tenant/keys", "/console/tenant/keys", Map.of(), "303 403 403 400 403 400"),
                console("POST /console/tenant/keys/{id}/revoke", v -> "/console/tenant/keys/" + keyOfA() + "/revoke",
                        Map.of(), "303 403 403 303 403 404"),
                // fleet: the workers' internal API takes only the shared secret (X-Maas-Internal-Token), never an
                // API key: every caller here is unauthenticated for it, hence 401 (docs/adr/0014-worker-fleet.md).
                rule("POST /internal/v1/generate", "/internal/v1/generate", COMPLETION, "401 401 401 401 401 401"),
                rule("GET /internal/v1/status", "/internal/v1/status", null, "401 401 401 401 401 401"),
                // fleet operations: the gateway's view of its workers, platform admins only
                rule("GET /admin/fleet", "/admin/fleet", null, "401 403 403 403 200 403"),
                // fleet embeddings: a worker's internal embeddings endpoint, shared secret only, like generate
                rule("POST /internal/v1/embeddings", "/internal/v1/embeddings",
                        "{\"model\":\"all-minilm-l6-v2\",\"inputs\":[\"hi\"]}", "401 401 401 401 401 401"));
    }

    private static Rule console(String endpoint, String path, Map<String, String> form, String expected) {
        return console(endpoint, v -> path, form, expected);
    }

    /** A console call: redirects are not followed (the 303 to the login page is the answer), forms are form-encoded. */
    private static Rule console(String endpoint, Function<Void, String> path, Map<String, String> form, String expected) {
        Rule json = rule(endpoint, path, null, expected);
        return new Rule(endpoint, secret -> {
            RequestSpecification spec = given().redirects().follow(false);
            if (secret != null) {
                spec = spec.header("Authorization", "Bearer " + secret);
            }
            return form == null ? spec : spec.contentType(ContentType.URLENC).formParams(form);
        }, path, json.expected());
    }

    /** The login form, posted with its double-submit CSRF token and the caller's own key (none for anonymous). */
    private static Rule consoleLogin() {
        Rule json = rule("POST /console/login", "/console/login", null, "400 303 303 303 303 303");
        return new Rule(json.endpoint(), secret -> given().redirects().follow(false).contentType(ContentType.URLENC)
                .cookie("maas_console_login", "matrix-token").formParam("_csrf", "matrix-token")
                .formParam("api_key", secret == null ? "" : secret), json.path(), json.expected());
    }

    /** A rule whose body is made anew for every caller (the created object must be unique). */
    private static Rule freshBodyRule(String endpoint, String path, java.util.function.Supplier<String> body,
            String expected) {
        Rule template = rule(endpoint, path, null, expected);
        return new Rule(endpoint, secret -> template.prepare().apply(secret).body(body.get()), template.path(),
                template.expected());
    }

    private static String memberOfA() {
        return Api.as(ADMIN_KEY).body(java.util.Map.of("subject", UUID.randomUUID().toString(), "tenant_id", tenantA))
                .post("/v1/members").then().statusCode(201).extract().path("id");
    }

    @Test
    void everyEndpointHasARuleAndEveryCallerGetsItsStatus() throws IOException {
        callers();
        List<Rule> rules = rules();
        Map<String, Rule> byEndpoint = new LinkedHashMap<>();
        rules.forEach(r -> byEndpoint.put(r.endpoint(), r));
        TreeSet<String> endpoints = endpoints();
        List<String> problems = new ArrayList<>();
        for (String endpoint : endpoints) {
            if (!byEndpoint.containsKey(endpoint)) {
                problems.add("no authorization rule for " + endpoint + ": add one to " + getClass().getSimpleName());
            }
        }
        for (String endpoint : byEndpoint.keySet()) {
            if (!endpoints.contains(endpoint)) {
                problems.add("rule for an endpoint that does not exist: " + endpoint);
            }
        }
        for (Rule rule : rules) {
            String method = rule.endpoint().substring(0, rule.endpoint().indexOf(' '));
            for (Who who : Who.values()) {
                RequestSpecification spec = rule.prepare().apply(SECRETS.get(who));
                if ("POST /admin/tenants".equals(rule.endpoint())) {
                    spec = spec.body("{\"id\":\"m-" + UUID.randomUUID().toString().substring(0, 8)
                            + "\",\"name\":\"matrix\"}");
                }
                int status = spec.request(method, rule.path().apply(null)).statusCode();
                int expected = rule.expected()[who.ordinal()];
                if (status != expected) {
                    problems.add(rule.endpoint() + " as " + who + ": expected " + expected + ", got " + status);
                }
            }
        }
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }

    /** "METHOD /path/{param}" for every resource method of every JAX-RS resource class of the application. */
    static TreeSet<String> endpoints() throws IOException {
        Path classes = Path.of("target", "classes");
        TreeSet<String> endpoints = new TreeSet<>();
        try (Stream<Path> files = Files.walk(classes)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".class")).toList()) {
                String name = classes.relativize(file).toString().replace('/', '.').replaceAll("\\.class$", "");
                Class<?> type;
                try {
                    type = Class.forName(name, false, Thread.currentThread().getContextClassLoader());
                } catch (ClassNotFoundException | LinkageError e) {
                    continue;
                }
                jakarta.ws.rs.Path base = type.getAnnotation(jakarta.ws.rs.Path.class);
                if (base == null) {
                    continue;
                }
                for (Method m : type.getDeclaredMethods()) {
                    String verb = m.isAnnotationPresent(GET.class) ? "GET"
                            : m.isAnnotationPresent(POST.class) ? "POST"
                            : m.isAnnotationPresent(PUT.class) ? "PUT"
                            : m.isAnnotationPresent(PATCH.class) ? "PATCH"
                            : m.isAnnotationPresent(DELETE.class) ? "DELETE" : null;
                    if (verb == null) {
                        continue;
                    }
                    jakarta.ws.rs.Path sub = m.getAnnotation(jakarta.ws.rs.Path.class);
                    String path = ("/" + base.value() + (sub == null ? "" : "/" + sub.value())).replaceAll("/+", "/");
                    endpoints.add(verb + " " + (path.length() > 1 && path.endsWith("/")
                            ? path.substring(0, path.length() - 1) : path));
                }
            }
        }
        return endpoints;
    }
}
