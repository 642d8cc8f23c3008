package io.maas.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** Plain Kafka clients for tests that produce raw records or read a topic from its start. */
public final class KafkaTestClient {
    private KafkaTestClient() {
    }

    public static void produce(String bootstrap, String topic, String key, String... values) throws Exception {
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class))) {
            for (String value : values) {
                producer.send(new ProducerRecord<>(topic, key, value)).get();
            }
        }
    }

    /** Reads the topic from the beginning until {@code expected} records arrived or the timeout passed. */
    public static List<ConsumerRecord<String, String>> readAll(String bootstrap, String topic, int expected,
            Duration timeout) {
        List<ConsumerRecord<String, String>> records = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, "test-reader-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class))) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + timeout.toNanos();
            while (records.size() < expected && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
        }
        return records;
    }

    /**
     * A producer that makes sure the broker took every record: {@link #flush} checks each send and sends a failed
     * one again, as the metering publisher would, so a test counting what it sent counts what is on the topic.
     * A record that fails {@link #ATTEMPTS} times fails the test with its cause.
     */
    public static final class AckedProducer implements AutoCloseable {
        static final int ATTEMPTS = 3;
        private final KafkaProducer<String, String> producer;
        private final List<ProducerRecord<String, String>> records = new ArrayList<>();
        private final List<Future<RecordMetadata>> sends = new ArrayList<>();
        private int resent;

        public AckedProducer(String bootstrap) {
            producer = new KafkaProducer<>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                    ProducerConfig.ACKS_CONFIG, "all",
                    ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                    ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class));
        }

        public void send(String topic, String key, String value) {
            ProducerRecord<String, String> record = new ProducerRecord<>(topic, key, value);
            records.add(record);
            sends.add(producer.send(record));
        }

        /** Waits for every send so far; returns how many records had to be sent again. */
        public int flush() throws InterruptedException {
            producer.flush();
            for (int i = 0; i < sends.size(); i++) {
                ProducerRecord<String, String> record = records.get(i);
                Future<RecordMetadata> send = sends.get(i);
                for (int attempt = 1;; attempt++) {
                    try {
                        send.get();
                        break;
                    } catch (ExecutionException e) {
                        if (attempt == ATTEMPTS) {
                            throw new AssertionError("the broker refused a record " + ATTEMPTS + " times", e.getCause());
                        }
                        System.err.println("test producer: send to " + record.topic() + " failed (" + e.getCause()
                                + "); sending it again");
                        resent++;
                        send = producer.send(record);
                    }
                }
            }
            records.clear();
            sends.clear();
            return resent;
        }

        @Override
        public void close() {
            producer.close();
        }
    }
}
