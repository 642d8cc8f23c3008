package io.maas.billing.metering;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.UUID;

import org.junit.jupiter.api.Test;

/** The usage-event contract: round trips, tolerance of unknown fields, and refusal of unbillable events. */
class UsageEventCodecTest {
    private static UsageEvent event() {
        return UsageEvent.of(UUID.fromString("7d444840-9dc0-11d1-b245-5ffdce74fad2"), "/maas/gateway/host",
                Instant.parse("2026-11-26T10:15:30Z"), new UsageData("acme", UUID.randomUUID(), "demo-tiny", null, null,
                        12, 30, UsageStatus.COMPLETED, "length", 40L, 900L, "4bf92f3577b34da6a3ce929d0e0e4736"));
    }

    @Test
    void anEventSurvivesARoundTrip() {
        UsageEvent event = event();
        assertEquals(event, UsageEventCodec.decode(UsageEventCodec.encodeToString(event)));
    }

    @Test
    void theEnvelopeIsCloudEventsStructuredJson() {
        String json = UsageEventCodec.encodeToString(event());
        assertTrue(json.contains("\"specversion\":\"1.0\""), json);
        assertTrue(json.contains("\"type\":\"io.maas.usage.v1\""), json);
        assertTrue(json.contains("\"time\":\"2026-11-26T10:15:30Z\""), json);
        assertTrue(json.contains("\"status\":\"completed\""), json);
    }

    @Test
    void unknownFieldsAreIgnored() {
        String json = UsageEventCodec.encodeToString(event()).replace("\"specversion\"", "\"futurefield\":42,\"specversion\"");
        assertEquals(event().data().promptTokens(), UsageEventCodec.decode(json).data().promptTokens());
    }

    @Test
    void malformedOrIncompleteEventsAreRefusedWithAReason() {
        assertThrows(InvalidUsageEventException.class, () -> UsageEventCodec.decode("{not json"));
        assertThrows(InvalidUsageEventException.class, () -> UsageEventCodec.decode("null"));
        assertThrows(InvalidUsageEventException.class, () -> UsageEventCodec.decode("{}"));
        String json = UsageEventCodec.encodeToString(event());
        var negative = assertThrows(InvalidUsageEventException.class,
                () -> UsageEventCodec.decode(json.replace("\"promptTokens\":12", "\"promptTokens\":-1")));
        assertTrue(negative.getMessage().contains("promptTokens"));
        var noTenant = assertThrows(InvalidUsageEventException.class,
                () -> UsageEventCodec.decode(json.replace("\"tenantId\":\"acme\"", "\"tenantId\":\"\"")));
        assertTrue(noTenant.getMessage().contains("tenantId"));
        assertThrows(InvalidUsageEventException.class,
                () -> UsageEventCodec.decode(json.replace("\"status\":\"completed\"", "\"status\":\"weird\"")));
        assertThrows(InvalidUsageEventException.class,
                () -> UsageEventCodec.decode(json.replace("io.maas.usage.v1", "io.maas.usage.v9")));
    }
}
