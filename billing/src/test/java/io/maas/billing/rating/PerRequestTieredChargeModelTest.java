package io.maas.billing.rating;

import static io.maas.billing.rating.RatingFixtures.rate;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.junit.jupiter.api.Test;

/** Requests up to 512 tokens at $0.00012/token (120 µ), larger ones at $0.0001 in and $0.0002 out. */
class PerRequestTieredChargeModelTest {
    private static final List<PriceTier> TIERS = List.of(
            PriceTier.upTo(512, rate("120"), rate("120")),
            PriceTier.unbounded(rate("100"), rate("200")));

    @Test
    void perRequestTierPricesWholeRequestAtItsTier() {
        assertEquals(List.of(
                new TokenCharge(ChargeKind.PAYG_INPUT, 0, 300, rate("120")),
                new TokenCharge(ChargeKind.PAYG_OUTPUT, 0, 200, rate("120"))),
                PerRequestTieredChargeModel.INSTANCE.charges(300, 200, TIERS));
        // 600 tokens: every one of them, the first 512 too, at the second tier.
        assertEquals(List.of(
                new TokenCharge(ChargeKind.PAYG_INPUT, 1, 400, rate("100")),
                new TokenCharge(ChargeKind.PAYG_OUTPUT, 1, 200, rate("200"))),
                PerRequestTieredChargeModel.INSTANCE.charges(400, 200, TIERS));
    }

    @Test
    void theTierBoundIsInclusiveAndCountsPromptPlusCompletion() {
        assertEquals(0, PerRequestTieredChargeModel.INSTANCE.charges(500, 12, TIERS).get(0).tierIndex());
        assertEquals(1, PerRequestTieredChargeModel.INSTANCE.charges(500, 13, TIERS).get(0).tierIndex());
        assertEquals(1, PerRequestTieredChargeModel.INSTANCE.charges(0, 513, TIERS).get(0).tierIndex());
    }

    @Test
    void anEmptyRequestHasNoLines() {
        assertEquals(List.of(), PerRequestTieredChargeModel.INSTANCE.charges(0, 0, TIERS));
    }
}
