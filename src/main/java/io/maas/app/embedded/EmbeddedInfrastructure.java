package io.maas.app.embedded;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import org.jboss.logging.Logger;

import io.maas.app.launch.LaunchSettings;
import io.maas.billing.metering.UsageEvent;

/**
 * Starts, for real and in this process, whatever the settings do not point at externally: PostgreSQL
 * and a KRaft Kafka broker, both keeping their data under the data folder. Used by the launcher and by
 * the tests' resource, so tests run the same bootstrap users do.
 */
public final class EmbeddedInfrastructure implements AutoCloseable {
    /** Partitions of the usage topic on the embedded broker: billing consumers scale up to this. */
    public static final int USAGE_TOPIC_PARTITIONS = 3;

    private static final Logger LOG = Logger.getLogger(EmbeddedInfrastructure.class);

    private final EmbeddedPostgresServer postgres;
    private final EmbeddedKafkaBroker kafka;
    private final Map<String, String> properties;
    private boolean closed;

    private EmbeddedInfrastructure(EmbeddedPostgresServer postgres, EmbeddedKafkaBroker kafka,
            Map<String, String> properties) {
        this.postgres = postgres;
        this.kafka = kafka;
        this.properties = properties;
    }

    /** Starts what is needed and returns the infrastructure with the properties Quarkus must see. */
    public static EmbeddedInfrastructure start(LaunchSettings settings) throws IOException {
        Map<String, String> props = new LinkedHashMap<>(settings.quarkusProperties());
        Path dataDir = settings.dataDir();
        EmbeddedPostgresServer postgres = null;
        EmbeddedKafkaBroker kafka = null;
        try {
            if (settings.externalDatabase().isEmpty()) {
                long started = System.nanoTime();
                postgres = EmbeddedPostgresServer.start(dataDir);
                LOG.infof("embedded PostgreSQL ready on 127.0.0.1:%d in %d ms (data in %s)", postgres.port(),
                        (System.nanoTime() - started) / 1_000_000, dataDir.resolve("postgres"));
                props.put(LaunchSettings.PROP_DB_URL, postgres.jdbcUrl());
                props.put(LaunchSettings.PROP_DB_USER, EmbeddedPostgresServer.USER);
                props.put(LaunchSettings.PROP_DB_PASSWORD, "");
            }
            if (settings.externalKafkaBootstrap().isEmpty()) {
                long started = System.nanoTime();
                kafka = EmbeddedKafkaBroker.start(dataDir);
                kafka.createTopics(Map.of(
                        UsageEvent.TOPIC, USAGE_TOPIC_PARTITIONS,
                        UsageEvent.DEAD_LETTER_TOPIC, 1));
                LOG.infof("embedded Kafka ready on %s in %d ms (log in %s)", kafka.bootstrapServers(),
                        (System.nanoTime() - started) / 1_000_000, dataDir.resolve("kafka"));
                props.put(LaunchSettings.PROP_KAFKA_BOOTSTRAP, kafka.bootstrapServers());
            }
        } catch (IOException | RuntimeException e) {
            closeQuietly(kafka, postgres);
            throw e;
        }
        return new EmbeddedInfrastructure(postgres, kafka, props);
    }

    /** Properties for Quarkus: the launch settings plus the embedded services' addresses. */
    public Map<String, String> properties() {
        return properties;
    }

    public boolean isEmbeddedDatabase() {
        return postgres != null;
    }

    public boolean isEmbeddedKafka() {
        return kafka != null;
    }

    /**
     * Stops the broker first (it flushes its log), then PostgreSQL (a fast, clean shutdown). Synchronized so
     * a second caller (exit handler and shutdown hook) waits until the first has really finished.
     */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            closeQuietly(kafka, postgres);
        }
    }

    private static void closeQuietly(EmbeddedKafkaBroker kafka, EmbeddedPostgresServer postgres) {
        if (kafka != null) {
            try {
                kafka.close();
            } catch (RuntimeException e) {
                LOG.warn("embedded Kafka did not stop cleanly", e);
            }
        }
        if (postgres != null) {
            try {
                postgres.close();
            } catch (IOException | RuntimeException e) {
                LOG.warn("embedded PostgreSQL did not stop cleanly", e);
            }
        }
    }
}
