package io.maas.billing.metering;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.time.Instant;
import java.util.Set;
import java.util.UUID;

import org.junit.jupiter.api.Test;

/** What the codec writes is what docs/usage-event.schema.json promises, and the schema rejects what billing would. */
class UsageEventSchemaTest {
    private static UsageEvent event(UsageStatus status, String adapter, String traceparent) {
        return UsageEvent.of(UUID.randomUUID(), "/maas/gateway/host", Instant.now(), traceparent,
                new UsageData("acme", UUID.randomUUID(), "demo-tiny", adapter, adapter == null ? null : "provider-1",
                        12, 30, status, "length", 40L, 900L, "4bf92f3577b34da6a3ce929d0e0e4736"));
    }

    @Test
    void encodedEventsOfEveryStatusAreValid() {
        for (UsageStatus status : UsageStatus.values()) {
            assertEquals(Set.of(), UsageEventSchema.violations(UsageEventCodec.encodeToString(event(status, null, null))));
            assertEquals(Set.of(), UsageEventSchema.violations(UsageEventCodec.encodeToString(
                    event(status, "legal-v1", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"))));
        }
    }

    @Test
    void unknownFieldsAreAllowedByTheSchemaAsByTheConsumer() {
        String json = UsageEventCodec.encodeToString(event(UsageStatus.COMPLETED, null, null))
                .replace("\"specversion\"", "\"futurefield\":{\"a\":1},\"specversion\"");
        assertEquals(Set.of(), UsageEventSchema.violations(json));
    }

    @Test
    void theSchemaRejectsWhatBillingRejects() {
        String valid = UsageEventCodec.encodeToString(event(UsageStatus.COMPLETED, null, null));
        assertFalse(UsageEventSchema.violations(valid.replace("\"promptTokens\":12", "\"promptTokens\":-1")).isEmpty());
        assertFalse(UsageEventSchema.violations(valid.replace("\"status\":\"completed\"", "\"status\":\"weird\"")).isEmpty());
        assertFalse(UsageEventSchema.violations(valid.replace("io.maas.usage.v1", "io.maas.usage.v9")).isEmpty());
        assertFalse(UsageEventSchema.violations(valid.replace("\"tenantId\":\"acme\",", "")).isEmpty());
        assertFalse(UsageEventSchema.violations("{not json").isEmpty());
    }
}
