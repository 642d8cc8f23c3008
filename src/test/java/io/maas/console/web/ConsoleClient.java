package io.maas.console.web;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;

/** A browser-like client of the console for RestAssured tests: logs in with a key, keeps the session cookie, reads CSRF tokens. */
final class ConsoleClient {
    private static final Pattern CSRF = Pattern.compile("name=\"_csrf\" value=\"([^\"]*)\"");

    final String session;

    private ConsoleClient(String session) {
        this.session = session;
    }

    /** Logs in through the login form, as a browser would. */
    static ConsoleClient login(String apiKey) {
        Response form = given().redirects().follow(false).get("/console/login");
        assertEquals(200, form.statusCode());
        String loginCookie = form.getCookie("maas_console_login");
        Response done = given().redirects().follow(false).contentType(ContentType.URLENC)
                .cookie("maas_console_login", loginCookie)
                .formParams(Map.of("_csrf", csrfIn(form.asString()), "api_key", apiKey))
                .post("/console/login");
        assertEquals(303, done.statusCode(), done.asString());
        String session = done.getCookie("maas_console");
        assertNotNull(session, "no session cookie set");
        return new ConsoleClient(session);
    }

    RequestSpecification request() {
        return given().redirects().follow(false).cookie("maas_console", session);
    }

    Response get(String path) {
        return request().get(path);
    }

    /** The CSRF token of the session, as the pages carry it. */
    String csrf() {
        Response page = get("/console");
        String location = page.getHeader("Location");
        return csrfIn(get(location == null ? "/console/login" : location).asString());
    }

    /** Posts a form with the session's CSRF token. */
    Response post(String path, Map<String, String> fields) {
        return request().contentType(ContentType.URLENC).formParam("_csrf", csrf()).formParams(fields).post(path);
    }

    /** Posts a form without any CSRF token. */
    Response postWithoutCsrf(String path, Map<String, String> fields) {
        return request().contentType(ContentType.URLENC).formParams(fields).post(path);
    }

    static String csrfIn(String html) {
        Matcher m = CSRF.matcher(html);
        if (!m.find()) {
            throw new AssertionError("no CSRF field in the page:\n" + html);
        }
        return m.group(1);
    }
}
