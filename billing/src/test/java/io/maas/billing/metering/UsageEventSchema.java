package io.maas.billing.metering;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;

import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;

/** The published JSON Schema of usage events (docs/usage-event.schema.json), for tests that check real events. */
public final class UsageEventSchema {
    private static final JsonSchema SCHEMA = load();

    private UsageEventSchema() {
    }

    private static JsonSchema load() {
        Path file = Path.of("..", "docs", "usage-event.schema.json");
        try {
            SchemaValidatorsConfig config = SchemaValidatorsConfig.builder().formatAssertionsEnabled(true).build();
            return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(Files.readString(file), config);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file.toAbsolutePath(), e);
        }
    }

    /** The schema violations of a JSON document; empty when it is a valid usage event. */
    public static Set<String> violations(String json) {
        try {
            return SCHEMA.validate(json, com.networknt.schema.InputFormat.JSON).stream()
                    .map(ValidationMessage::getMessage).collect(Collectors.toSet());
        } catch (RuntimeException e) {
            return Set.of("not JSON: " + e.getMessage());
        }
    }
}
