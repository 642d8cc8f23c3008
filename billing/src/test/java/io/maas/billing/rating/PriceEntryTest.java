package io.maas.billing.rating;

import static io.maas.billing.rating.RatingFixtures.LLAMA;
import static io.maas.billing.rating.RatingFixtures.LONG_AGO;
import static io.maas.billing.rating.RatingFixtures.rate;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

class PriceEntryTest {
    private static final PriceTier SMALL = PriceTier.upTo(512, rate("120"), rate("120"));
    private static final PriceTier REST = PriceTier.unbounded(rate("100"), rate("200"));

    @Test
    void aFlatPriceIsOneUnboundedTier() {
        PriceEntry flat = PriceEntry.flat(LLAMA, LONG_AGO, rate("0.15"), rate("0.60"));
        assertEquals(ChargeModelType.FLAT, flat.chargeModel());
        assertEquals(List.of(PriceTier.unbounded(rate("0.15"), rate("0.60"))), flat.tiers());
    }

    @Test
    void tiersMustAscendStrictlyAndEndUnbounded() {
        var unordered = assertThrows(InvalidRatingInputException.class,
                () -> new PriceEntry(LLAMA, LONG_AGO, ChargeModelType.GRADUATED_TIERED, List.of(REST, SMALL)));
        assertTrue(unordered.getMessage().contains("ascend"));
        assertThrows(InvalidRatingInputException.class,
                () -> new PriceEntry(LLAMA, LONG_AGO, ChargeModelType.GRADUATED_TIERED, List.of(SMALL, SMALL, REST)));
        var bounded = assertThrows(InvalidRatingInputException.class,
                () -> new PriceEntry(LLAMA, LONG_AGO, ChargeModelType.PER_REQUEST_TIERED, List.of(SMALL)));
        assertTrue(bounded.getMessage().contains("unbounded"));
        assertThrows(InvalidRatingInputException.class,
                () -> new PriceEntry(LLAMA, LONG_AGO, ChargeModelType.PER_REQUEST_TIERED, List.of()));
    }

    @Test
    void aFlatPriceCannotHaveTiers() {
        assertThrows(InvalidRatingInputException.class,
                () -> new PriceEntry(LLAMA, LONG_AGO, ChargeModelType.FLAT, List.of(SMALL, REST)));
        assertEquals(2, new PriceEntry(LLAMA, LONG_AGO, ChargeModelType.PER_REQUEST_TIERED, List.of(SMALL, REST)).tiers().size());
    }

    @Test
    void missingPartsAreRefused() {
        List<PriceTier> tiers = List.of(REST);
        assertThrows(InvalidRatingInputException.class, () -> new PriceEntry(null, LONG_AGO, ChargeModelType.FLAT, tiers));
        assertThrows(InvalidRatingInputException.class, () -> new PriceEntry(LLAMA, null, ChargeModelType.FLAT, tiers));
        assertThrows(InvalidRatingInputException.class, () -> new PriceEntry(LLAMA, LONG_AGO, null, tiers));
        assertThrows(InvalidRatingInputException.class, () -> new PriceEntry(LLAMA, LONG_AGO, ChargeModelType.FLAT, null));
        List<PriceTier> withNull = new ArrayList<>(Arrays.asList(SMALL, null));
        assertThrows(InvalidRatingInputException.class,
                () -> new PriceEntry(LLAMA, LONG_AGO, ChargeModelType.GRADUATED_TIERED, withNull));
    }

    @Test
    void theTiersCannotBeChangedAfterConstruction() {
        List<PriceTier> tiers = new ArrayList<>(List.of(REST));
        PriceEntry entry = new PriceEntry(LLAMA, LONG_AGO, ChargeModelType.FLAT, tiers);
        tiers.add(0, SMALL);
        assertEquals(List.of(REST), entry.tiers());
    }
}
