package io.maas.billing.rating;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ModelRefTest {

    @Test
    void anAdapterIsKeyedWithItsBaseAndPrintsLikeTheGatewayAddressesIt() {
        ModelRef adapter = ModelRef.adapter("llama-3-8b", "sql-expert");
        assertTrue(adapter.isAdapter());
        assertEquals("llama-3-8b:sql-expert", adapter.toString());
        assertEquals(ModelRef.base("llama-3-8b"), adapter.baseOnly());
        assertFalse(adapter.baseOnly().isAdapter());
        assertEquals("llama-3-8b", adapter.baseOnly().toString());
        assertEquals(ModelRef.adapter("other-base", "sql-expert").adapter(), adapter.adapter());
        assertFalse(adapter.equals(ModelRef.adapter("other-base", "sql-expert")));
    }

    @Test
    void aMissingBaseOrABlankAdapterIsRefused() {
        assertThrows(InvalidRatingInputException.class, () -> ModelRef.base(null));
        assertThrows(InvalidRatingInputException.class, () -> ModelRef.base(""));
        assertThrows(InvalidRatingInputException.class, () -> new ModelRef("llama", " "));
        assertThrows(InvalidRatingInputException.class, () -> ModelRef.adapter("llama", null));
    }
}
