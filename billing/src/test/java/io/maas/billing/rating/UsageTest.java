package io.maas.billing.rating;

import static io.maas.billing.rating.RatingFixtures.MID_NOVEMBER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.maas.billing.metering.UsageData;
import io.maas.billing.metering.UsageEvent;
import io.maas.billing.metering.UsageStatus;

class UsageTest {
    private static final UUID ID = UUID.fromString("7d444840-9dc0-11d1-b245-5ffdce74fad2");

    private static UsageEvent event(String adapter, String provider, UsageStatus status) {
        return UsageEvent.of(ID, "/test", MID_NOVEMBER, new UsageData("acme", UUID.randomUUID(), "llama-3-8b", adapter,
                provider, 12, 30, status, "stop", 40L, 900L, null));
    }

    @Test
    void readsTheEventsIdTimeAndData() {
        Usage usage = Usage.of(event(null, null, UsageStatus.COMPLETED));
        assertEquals(ID, usage.eventId());
        assertEquals(MID_NOVEMBER, usage.time());
        assertEquals("acme", usage.tenantId());
        assertEquals(ModelRef.base("llama-3-8b"), usage.model());
        assertEquals(12, usage.tokensPrompt());
        assertEquals(30, usage.tokensCompletion());
        assertEquals(42, usage.tokensTotal());
    }

    @Test
    void anAdapterEventKeepsItsBaseAndProvider() {
        Usage usage = Usage.of(event("sql-expert", "lora-labs", UsageStatus.COMPLETED));
        assertEquals(ModelRef.adapter("llama-3-8b", "sql-expert"), usage.model());
        assertEquals("lora-labs", usage.providerId());
    }

    @Test
    void failedRequestsAreNotChargedButCancelledOnesAre() {
        assertFalse(Usage.of(event(null, null, UsageStatus.FAILED)).isCharged());
        assertTrue(Usage.of(event(null, null, UsageStatus.CANCELLED)).isCharged());
        assertTrue(Usage.of(event(null, null, UsageStatus.COMPLETED)).isCharged());
    }

    @Test
    void adapterUsageWithoutAProviderIsRefused() {
        var missing = assertThrows(InvalidRatingInputException.class, () -> Usage.of(event("sql-expert", null, UsageStatus.COMPLETED)));
        assertTrue(missing.getMessage().contains("llama-3-8b:sql-expert"));
        assertThrows(InvalidRatingInputException.class, () -> Usage.of(event("sql-expert", " ", UsageStatus.COMPLETED)));
    }

    @Test
    void incompleteUsageIsRefused() {
        ModelRef model = ModelRef.base("m");
        var now = MID_NOVEMBER;
        assertThrows(InvalidRatingInputException.class, () -> new Usage(null, now, "t", model, null, 1, 1, UsageStatus.COMPLETED));
        assertThrows(InvalidRatingInputException.class, () -> new Usage(ID, null, "t", model, null, 1, 1, UsageStatus.COMPLETED));
        assertThrows(InvalidRatingInputException.class, () -> new Usage(ID, now, "", model, null, 1, 1, UsageStatus.COMPLETED));
        assertThrows(InvalidRatingInputException.class, () -> new Usage(ID, now, "t", null, null, 1, 1, UsageStatus.COMPLETED));
        assertThrows(InvalidRatingInputException.class, () -> new Usage(ID, now, "t", model, null, -1, 1, UsageStatus.COMPLETED));
        assertThrows(InvalidRatingInputException.class, () -> new Usage(ID, now, "t", model, null, 1, -1, UsageStatus.COMPLETED));
        assertThrows(InvalidRatingInputException.class, () -> new Usage(ID, now, "t", model, null, 1, 1, null));
        var noBase = UsageEvent.of(ID, "/test", now, new UsageData("acme", null, null, null, null, 1, 1,
                UsageStatus.COMPLETED, null, null, null, null));
        assertThrows(InvalidRatingInputException.class, () -> Usage.of(noBase));
    }
}
