package io.maas.app.embedded;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.utils.Exit;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.Feature;
import org.apache.kafka.server.common.MetadataVersion;
import org.jboss.logging.Logger;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;

/**
 * A single-node Kafka KRaft broker (combined broker and controller) inside this JVM, its log under the
 * data folder so topics and messages survive restarts.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(EmbeddedKafkaBroker.class);
    private static final int NODE_ID = 1;

    private final KafkaRaftServer server;
    private final String bootstrapServers;

    private final int brokerPort;
    private final int controllerPort;

    private EmbeddedKafkaBroker(KafkaRaftServer server, int brokerPort, int controllerPort) {
        this.server = server;
        this.bootstrapServers = "127.0.0.1:" + brokerPort;
        this.brokerPort = brokerPort;
        this.controllerPort = controllerPort;
    }

    public int brokerPort() {
        return brokerPort;
    }

    public int controllerPort() {
        return controllerPort;
    }

    /** Formats the log directory on first use, starts the broker on free ports and waits until it serves requests. */
    public static EmbeddedKafkaBroker start(Path dataDir) throws IOException {
        return start(dataDir, 0, 0);
    }

    /** As {@link #start(Path)}, on the given ports (0 = any free port): a restart can keep its address. */
    public static EmbeddedKafkaBroker start(Path dataDir, int brokerPortWanted, int controllerPortWanted)
            throws IOException {
        // The broker calls Exit on fatal errors; it must never take the host process down with it.
        Exit.setExitProcedure((status, message) -> LOG.errorf("embedded Kafka asked to exit(%d): %s", status, message));
        Exit.setHaltProcedure((status, message) -> LOG.errorf("embedded Kafka asked to halt(%d): %s", status, message));

        Path logDir = dataDir.resolve("kafka").toAbsolutePath();
        Files.createDirectories(logDir);
        int brokerPort = brokerPortWanted > 0 ? brokerPortWanted : FreePorts.find();
        int controllerPort = controllerPortWanted > 0 ? controllerPortWanted : FreePorts.find();
        Properties props = new Properties();
        props.put("process.roles", "broker,controller");
        props.put("node.id", Integer.toString(NODE_ID));
        props.put("controller.quorum.voters", NODE_ID + "@127.0.0.1:" + controllerPort);
        props.put("listeners", "PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
        props.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort);
        props.put("controller.listener.names", "CONTROLLER");
        props.put("inter.broker.listener.name", "PLAINTEXT");
        props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        props.put("log.dirs", logDir.toString());
        props.put("num.partitions", "1");
        props.put("auto.create.topics.enable", "false");
        props.put("offsets.topic.replication.factor", "1");
        props.put("offsets.topic.num.partitions", "4");
        props.put("transaction.state.log.replication.factor", "1");
        props.put("transaction.state.log.min.isr", "1");
        props.put("transaction.state.log.num.partitions", "4");
        props.put("group.initial.rebalance.delay.ms", "0");
        props.put("share.coordinator.state.topic.replication.factor", "1");
        props.put("share.coordinator.state.topic.min.isr", "1");
        // Faster re-registration after an unclean stop of the host process.
        props.put("broker.session.timeout.ms", "3000");
        props.put("broker.heartbeat.interval.ms", "500");
        KafkaConfig config = new KafkaConfig(props, false);

        if (!Files.exists(logDir.resolve("meta.properties"))) {
            format(logDir);
        }
        KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
        server.startup();
        EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(server, brokerPort, controllerPort);
        try {
            broker.awaitReady();
        } catch (IOException e) {
            broker.close();
            throw e;
        }
        return broker;
    }

    private static void format(Path logDir) throws IOException {
        try {
            new Formatter()
                    .setClusterId(Uuid.randomUuid().toString())
                    .setNodeId(NODE_ID)
                    .setControllerListenerName("CONTROLLER")
                    .setMetadataLogDirectory(logDir.toString())
                    .setDirectories(List.of(logDir.toString()))
                    .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                    .setSupportedFeatures(Feature.PRODUCTION_FEATURES)
                    .run();
        } catch (Exception e) {
            throw new IOException("cannot format the embedded Kafka log directory " + logDir, e);
        }
    }

    private void awaitReady() throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        Exception last = null;
        while (System.nanoTime() < deadline) {
            try (Admin admin = admin()) {
                admin.describeCluster().nodes().get(5, TimeUnit.SECONDS);
                return;
            } catch (ExecutionException | TimeoutException e) {
                last = e;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for embedded Kafka", e);
            }
        }
        throw new IOException("embedded Kafka did not become ready within 60 s", last);
    }

    /** Creates each topic that does not exist yet; existing ones are left as they are. */
    public void createTopics(Map<String, Integer> partitionsByTopic) throws IOException {
        try (Admin admin = admin()) {
            for (var entry : partitionsByTopic.entrySet()) {
                try {
                    admin.createTopics(List.of(new NewTopic(entry.getKey(), entry.getValue(), (short) 1)))
                            .all().get(30, TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IOException("cannot create topic " + entry.getKey(), e.getCause());
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while creating topics", e);
        } catch (TimeoutException e) {
            throw new IOException("timed out creating topics", e);
        }
    }

    private Admin admin() {
        return Admin.create(Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000));
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    @Override
    public void close() {
        server.shutdown();
        server.awaitShutdown();
    }
}
