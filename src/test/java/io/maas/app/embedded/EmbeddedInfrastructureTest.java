package io.maas.app.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.maas.app.launch.LaunchSettings;
import io.maas.billing.metering.UsageEvent;
import io.maas.testing.KafkaTestClient;

/** The embedded default keeps what it acknowledged: rows and records survive a stop and a new start. */
class EmbeddedInfrastructureTest {
    @TempDir
    Path dataDir;

    @Test
    void databaseRowsAndKafkaRecordsSurviveARestart() throws Exception {
        LaunchSettings settings = LaunchSettings.resolve(Map.of("MAAS_DATA_DIR", dataDir.toString()), new Properties());
        try (EmbeddedInfrastructure first = EmbeddedInfrastructure.start(settings)) {
            assertTrue(first.isEmbeddedDatabase() && first.isEmbeddedKafka());
            try (Connection c = connect(first); Statement s = c.createStatement()) {
                s.execute("create table kept (v text)");
                s.execute("insert into kept values ('survives')");
            }
            KafkaTestClient.produce(first.properties().get("kafka.bootstrap.servers"), UsageEvent.TOPIC, "t", "kept-record");
        }
        try (EmbeddedInfrastructure second = EmbeddedInfrastructure.start(settings)) {
            try (Connection c = connect(second); Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("select v from kept")) {
                assertTrue(rs.next());
                assertEquals("survives", rs.getString(1));
            }
            var records = KafkaTestClient.readAll(second.properties().get("kafka.bootstrap.servers"), UsageEvent.TOPIC, 1,
                    Duration.ofSeconds(30));
            assertEquals(1, records.size());
            assertEquals("kept-record", records.get(0).value());
        }
    }

    private static Connection connect(EmbeddedInfrastructure infrastructure) throws Exception {
        Map<String, String> props = infrastructure.properties();
        return DriverManager.getConnection(props.get("quarkus.datasource.jdbc.url"), props.get("quarkus.datasource.username"),
                props.get("quarkus.datasource.password"));
    }
}
