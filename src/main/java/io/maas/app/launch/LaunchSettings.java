package io.maas.app.launch;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.regex.Pattern;

/**
 * The settings that must be known before Quarkus starts: where data lives and whether PostgreSQL and
 * Kafka are external or embedded. Read from the environment ({@code MAAS_*}) or the matching Quarkus
 * keys, validated here so a wrong value fails at once with the key's name.
 */
public record LaunchSettings(
        Path dataDir,
        Optional<Integer> httpPort,
        Optional<ExternalDatabase> externalDatabase,
        Optional<String> externalKafkaBootstrap,
        Optional<String> oidcUrl) {

    public static final String ENV_DATA_DIR = "MAAS_DATA_DIR";
    public static final String ENV_HTTP_PORT = "MAAS_HTTP_PORT";
    public static final String ENV_DB_URL = "MAAS_DB_URL";
    public static final String ENV_DB_USER = "MAAS_DB_USER";
    public static final String ENV_DB_PASSWORD = "MAAS_DB_PASSWORD";
    public static final String ENV_KAFKA_BOOTSTRAP = "MAAS_KAFKA_BOOTSTRAP";
    public static final String ENV_BOOTSTRAP_ADMIN_KEY = "MAAS_BOOTSTRAP_ADMIN_KEY";
    public static final String ENV_OIDC_URL = "MAAS_OIDC_URL";

    public static final String PROP_DATA_DIR = "maas.data-dir";
    public static final String PROP_HTTP_PORT = "quarkus.http.port";
    public static final String PROP_DB_URL = "quarkus.datasource.jdbc.url";
    public static final String PROP_DB_USER = "quarkus.datasource.username";
    public static final String PROP_DB_PASSWORD = "quarkus.datasource.password";
    public static final String PROP_KAFKA_BOOTSTRAP = "kafka.bootstrap.servers";
    public static final String PROP_OIDC_URL = "quarkus.oidc.auth-server-url";
    public static final String PROP_OIDC_ENABLED = "quarkus.oidc.tenant-enabled";
    public static final String PROP_CONSOLE_OIDC_URL = "quarkus.oidc.console.auth-server-url";
    public static final String PROP_CONSOLE_OIDC_ENABLED = "quarkus.oidc.console.tenant-enabled";

    private static final Pattern HOST_PORT = Pattern.compile("^[A-Za-z0-9._\\-\\[\\]:]+:(\\d{1,5})$");
    private static final Pattern API_KEY = Pattern.compile("^sk-[A-Za-z0-9_\\-]{20,200}$");

    /** An external PostgreSQL, as a JDBC URL plus optional credentials. */
    public record ExternalDatabase(String jdbcUrl, Optional<String> user, Optional<String> password) {
    }

    /** Reads and validates; throws {@link ConfigurationException} naming the first wrong key. */
    public static LaunchSettings resolve(Map<String, String> env, Properties system) {
        Setting dataDir = first(env, system, ENV_DATA_DIR, PROP_DATA_DIR, "MAAS_DATA_DIR");
        Path dir = dataDirectory(dataDir);

        Setting port = first(env, system, ENV_HTTP_PORT, PROP_HTTP_PORT, "QUARKUS_HTTP_PORT");
        Optional<Integer> httpPort = port == null ? Optional.empty() : Optional.of(port(port));

        Setting dbUrl = first(env, system, ENV_DB_URL, PROP_DB_URL, "QUARKUS_DATASOURCE_JDBC_URL");
        Optional<ExternalDatabase> database = Optional.empty();
        if (dbUrl != null) {
            Setting user = first(env, system, ENV_DB_USER, PROP_DB_USER, "QUARKUS_DATASOURCE_USERNAME");
            Setting password = first(env, system, ENV_DB_PASSWORD, PROP_DB_PASSWORD, "QUARKUS_DATASOURCE_PASSWORD");
            database = Optional.of(new ExternalDatabase(jdbcUrl(dbUrl),
                    Optional.ofNullable(user).map(Setting::value), Optional.ofNullable(password).map(Setting::value)));
        }

        Setting kafka = first(env, system, ENV_KAFKA_BOOTSTRAP, PROP_KAFKA_BOOTSTRAP, "KAFKA_BOOTSTRAP_SERVERS");
        Optional<String> bootstrap = kafka == null ? Optional.empty() : Optional.of(bootstrapServers(kafka));

        Setting adminKey = first(env, system, ENV_BOOTSTRAP_ADMIN_KEY, "maas.bootstrap-admin-key", ENV_BOOTSTRAP_ADMIN_KEY);
        if (adminKey != null && !API_KEY.matcher(adminKey.value()).matches()) {
            throw new ConfigurationException(adminKey.key(),
                    "must be 'sk-' followed by 20 to 200 letters, digits, '-' or '_'");
        }
        Setting oidc = first(env, system, ENV_OIDC_URL, PROP_OIDC_URL, "QUARKUS_OIDC_AUTH_SERVER_URL");
        Optional<String> oidcUrl = oidc == null ? Optional.empty() : Optional.of(oidcUrl(oidc));
        return new LaunchSettings(dir, httpPort, database, bootstrap, oidcUrl);
    }

    /** System properties that hand these settings to Quarkus; embedded services add their own. */
    public Map<String, String> quarkusProperties() {
        Map<String, String> props = new LinkedHashMap<>();
        props.put(PROP_DATA_DIR, dataDir.toString());
        httpPort.ifPresent(p -> props.put(PROP_HTTP_PORT, Integer.toString(p)));
        externalDatabase.ifPresent(db -> {
            props.put(PROP_DB_URL, db.jdbcUrl());
            db.user().ifPresent(u -> props.put(PROP_DB_USER, u));
            db.password().ifPresent(p -> props.put(PROP_DB_PASSWORD, p));
        });
        externalKafkaBootstrap.ifPresent(b -> props.put(PROP_KAFKA_BOOTSTRAP, b));
        oidcUrl.ifPresent(url -> {
            props.put(PROP_OIDC_URL, url);
            props.put(PROP_OIDC_ENABLED, "true");
            // The console's single sign-on: the same realm, through the authorization-code flow.
            props.put(PROP_CONSOLE_OIDC_URL, url);
            props.put(PROP_CONSOLE_OIDC_ENABLED, "true");
        });
        return props;
    }

    private record Setting(String key, String value) {
    }

    /** The first non-blank of: the MAAS_ variable, the Quarkus system property, the Quarkus variable. */
    private static Setting first(Map<String, String> env, Properties system, String maasEnv, String property,
            String quarkusEnv) {
        String value = env.get(maasEnv);
        if (value != null && !value.isBlank()) {
            return new Setting(maasEnv, value.trim());
        }
        value = system.getProperty(property);
        if (value != null && !value.isBlank()) {
            return new Setting(property, value.trim());
        }
        value = env.get(quarkusEnv);
        if (value != null && !value.isBlank()) {
            return new Setting(quarkusEnv, value.trim());
        }
        return null;
    }

    private static Path dataDirectory(Setting setting) {
        String key = setting == null ? ENV_DATA_DIR : setting.key();
        Path dir;
        try {
            dir = Path.of(setting == null ? "data" : setting.value()).toAbsolutePath().normalize();
        } catch (InvalidPathException e) {
            throw new ConfigurationException(key, "not a valid path: " + e.getMessage());
        }
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new ConfigurationException(key, dir + " exists and is not a directory");
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new ConfigurationException(key, "cannot create " + dir + ": " + e.getMessage());
        }
        if (!Files.isWritable(dir)) {
            throw new ConfigurationException(key, dir + " is not writable");
        }
        return dir;
    }

    /** The realm URL of the OIDC server, e.g. {@code https://sso.example.com/realms/maas}. */
    private static String oidcUrl(Setting setting) {
        try {
            URI uri = new URI(setting.value());
            if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
                throw new ConfigurationException(setting.key(),
                        "must be an http(s) URL of the realm, e.g. https://sso.example.com/realms/maas");
            }
            String url = setting.value();
            return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        } catch (URISyntaxException e) {
            throw new ConfigurationException(setting.key(), "not a valid URL: " + e.getMessage());
        }
    }

    private static int port(Setting setting) {
        try {
            int port = Integer.parseInt(setting.value());
            if (port < 0 || port > 65_535) {
                throw new ConfigurationException(setting.key(), "port must be between 0 and 65535, was " + port);
            }
            return port;
        } catch (NumberFormatException e) {
            throw new ConfigurationException(setting.key(), "port must be a number, was '" + setting.value() + "'");
        }
    }

    /** Accepts jdbc:postgresql://… or postgresql:// / postgres:// URLs (credentials in the URL are moved out). */
    private static String jdbcUrl(Setting setting) {
        String value = setting.value();
        if (value.startsWith("jdbc:postgresql://")) {
            return value;
        }
        if (value.startsWith("postgresql://") || value.startsWith("postgres://")) {
            try {
                URI uri = new URI(value);
                if (uri.getHost() == null) {
                    throw new ConfigurationException(setting.key(), "the URL has no host");
                }
                String port = uri.getPort() > 0 ? ":" + uri.getPort() : "";
                String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/postgres" : uri.getRawPath();
                StringBuilder jdbc = new StringBuilder("jdbc:postgresql://").append(uri.getHost()).append(port).append(path);
                String query = uri.getRawQuery();
                String userInfo = uri.getRawUserInfo();
                if (userInfo != null) {
                    String[] parts = userInfo.split(":", 2);
                    query = (query == null ? "" : query + "&") + "user=" + parts[0]
                            + (parts.length > 1 ? "&password=" + parts[1] : "");
                }
                if (query != null) {
                    jdbc.append('?').append(query);
                }
                return jdbc.toString();
            } catch (URISyntaxException e) {
                throw new ConfigurationException(setting.key(), "not a valid URL: " + e.getReason());
            }
        }
        // Never echo the value: it may hold a password.
        throw new ConfigurationException(setting.key(),
                "must be a PostgreSQL URL such as jdbc:postgresql://host:5432/maas or postgresql://user@host:5432/maas");
    }

    private static String bootstrapServers(Setting setting) {
        for (String server : setting.value().split(",")) {
            var matcher = HOST_PORT.matcher(server.trim());
            if (!matcher.matches() || Integer.parseInt(matcher.group(1)) > 65_535) {
                throw new ConfigurationException(setting.key(),
                        "must be a comma-separated list of host:port, found '" + server.trim() + "'");
            }
        }
        return setting.value();
    }
}
