package io.maas.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * A real Keycloak from its distribution (Maven artifact {@code org.keycloak:keycloak-quarkus-dist:zip},
 * unpacked once into {@code .cache/keycloak} by the build), started in dev mode with an in-memory database
 * on a free port, importing the project's realm ({@code k8s/keycloak/realm.json}) and a second realm
 * ({@code other}) whose tokens must be refused. Stops the Java child that {@code kc.sh} forks.
 */
public class KeycloakResource implements QuarkusTestResourceLifecycleManager {
    public static final String REALM = "maas";
    /** System property carrying the base URL ({@code http://127.0.0.1:port}) to the tests. */
    public static final String URL_PROPERTY = "test.keycloak.url";
    private static final Duration START_TIMEOUT = Duration.ofMinutes(4);

    private Process process;

    @Override
    public Map<String, String> start() {
        try {
            Path home = keycloakHome();
            Path imports = Files.createDirectories(home.resolve("data/import"));
            Files.copy(Path.of("..", "k8s", "keycloak", "realm.json"), imports.resolve("maas-realm.json"),
                    StandardCopyOption.REPLACE_EXISTING);
            try (var other = KeycloakResource.class.getResourceAsStream("/keycloak/other-realm.json")) {
                Files.copy(other, imports.resolve("other-realm.json"), StandardCopyOption.REPLACE_EXISTING);
            }
            int port = freePort();
            Path log = Files.createDirectories(Path.of("target")).resolve("keycloak.log");
            ProcessBuilder builder = new ProcessBuilder(home.resolve("bin/kc.sh").toString(), "start-dev",
                    "--db=dev-mem", "--http-host=127.0.0.1", "--http-port=" + port, "--import-realm",
                    "--health-enabled=false", "--log-level=WARN,org.keycloak.services:INFO")
                    .redirectErrorStream(true).redirectOutput(log.toFile());
            builder.environment().put("KC_BOOTSTRAP_ADMIN_USERNAME", "admin");
            builder.environment().put("KC_BOOTSTRAP_ADMIN_PASSWORD", "admin");
            builder.environment().put("JAVA_OPTS_KC_HEAP", "-Xms64m -Xmx512m");
            long started = System.nanoTime();
            process = builder.start();
            String base = "http://127.0.0.1:" + port;
            waitUntilReady(base + "/realms/" + REALM + "/.well-known/openid-configuration", log);
            System.out.printf("Keycloak ready at %s in %d s%n", base, Duration.ofNanos(System.nanoTime() - started).toSeconds());
            System.setProperty(URL_PROPERTY, base);
            return Map.of(
                    "quarkus.oidc.tenant-enabled", "true",
                    "quarkus.oidc.auth-server-url", base + "/realms/" + REALM,
                    "quarkus.oidc.console.tenant-enabled", "true",
                    "quarkus.oidc.console.auth-server-url", base + "/realms/" + REALM,
                    URL_PROPERTY, base);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path keycloakHome() throws IOException {
        Path cache = Path.of("..", ".cache", "keycloak").toAbsolutePath().normalize();
        try (var dirs = Files.list(cache)) {
            return dirs.filter(d -> d.getFileName().toString().startsWith("keycloak-") && Files.isDirectory(d))
                    .findFirst().orElseThrow(() -> new IllegalStateException("no Keycloak unpacked in " + cache
                            + "; the build unpacks it (maven-dependency-plugin, phase process-test-resources)"));
        }
    }

    private void waitUntilReady(String url, Path log) throws IOException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("Keycloak exited with " + process.exitValue() + "; see " + log);
            }
            try {
                HttpResponse<Void> response = http.send(HttpRequest.newBuilder(URI.create(url))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding());
                if (response.statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for Keycloak", e);
            }
            sleep(500);
        }
        stop();
        throw new IllegalStateException("Keycloak not ready within " + START_TIMEOUT + "; see " + log);
    }

    @Override
    public void stop() {
        if (process == null) {
            return;
        }
        // kc.sh runs Keycloak as a forked java child: stop the children first, then the script.
        List<ProcessHandle> children = process.descendants().toList();
        children.forEach(ProcessHandle::destroy);
        for (ProcessHandle child : children) {
            child.onExit().completeOnTimeout(null, 20, java.util.concurrent.TimeUnit.SECONDS).join();
            if (child.isAlive()) {
                child.destroyForcibly();
            }
        }
        process.destroy();
        try {
            if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process = null;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
