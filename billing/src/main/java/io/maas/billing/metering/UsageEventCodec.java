package io.maas.billing.metering;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

/** JSON encoding of usage events, shared by the publisher and the consumer so both read the same contract. */
public final class UsageEventCodec {
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

    private UsageEventCodec() {
    }

    public static byte[] encode(UsageEvent event) {
        try {
            return MAPPER.writeValueAsBytes(event);
        } catch (IOException e) {
            throw new IllegalStateException("usage event cannot be encoded", e);
        }
    }

    public static String encodeToString(UsageEvent event) {
        return new String(encode(event), StandardCharsets.UTF_8);
    }

    /** Decodes and validates; anything unbillable is an {@link InvalidUsageEventException}. */
    public static UsageEvent decode(String json) {
        if (json == null) {
            throw new InvalidUsageEventException("empty record value");
        }
        UsageEvent event;
        try {
            event = MAPPER.readValue(json, UsageEvent.class);
        } catch (JsonProcessingException e) {
            throw new InvalidUsageEventException("not a usage event: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new InvalidUsageEventException("not a usage event: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new InvalidUsageEventException("not a usage event: " + e.getMessage(), e);
        }
        if (event == null) {
            throw new InvalidUsageEventException("empty record value");
        }
        event.validate();
        return event;
    }
}
