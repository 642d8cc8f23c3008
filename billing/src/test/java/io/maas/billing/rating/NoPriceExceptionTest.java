package io.maas.billing.rating;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.time.Instant;

import org.junit.jupiter.api.Test;

class NoPriceExceptionTest {
    private static final Instant AT = Instant.parse("2026-11-15T09:30:00Z");

    @Test
    void namesTheModelTheTimeAndForAnAdapterItsBase() {
        assertEquals("no price in force for llama at 2026-11-15T09:30:00Z",
                new NoPriceException(ModelRef.base("llama"), AT).getMessage());
        assertEquals("no price in force for llama:sql at 2026-11-15T09:30:00Z"
                + " (neither for the adapter nor for its base model llama)",
                new NoPriceException(ModelRef.adapter("llama", "sql"), AT).getMessage());
        assertInstanceOf(RatingException.class, new NoPriceException(ModelRef.base("llama"), AT));
    }
}
