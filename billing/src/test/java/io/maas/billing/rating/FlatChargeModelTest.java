package io.maas.billing.rating;

import static io.maas.billing.rating.RatingFixtures.rate;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.junit.jupiter.api.Test;

class FlatChargeModelTest {
    private static final List<PriceTier> TIERS = List.of(PriceTier.unbounded(rate("0.15"), rate("0.60")));

    @Test
    void promptAtInputRateAndCompletionAtOutputRate() {
        assertEquals(List.of(
                new TokenCharge(ChargeKind.PAYG_INPUT, 0, 1_000, rate("0.15")),
                new TokenCharge(ChargeKind.PAYG_OUTPUT, 0, 2_000, rate("0.60"))),
                FlatChargeModel.INSTANCE.charges(1_000, 2_000, TIERS));
    }

    @Test
    void aSideWithoutTokensHasNoLine() {
        assertEquals(List.of(new TokenCharge(ChargeKind.PAYG_OUTPUT, 0, 5, rate("0.60"))),
                FlatChargeModel.INSTANCE.charges(0, 5, TIERS));
        assertEquals(List.of(new TokenCharge(ChargeKind.PAYG_INPUT, 0, 5, rate("0.15"))),
                FlatChargeModel.INSTANCE.charges(5, 0, TIERS));
        assertEquals(List.of(), FlatChargeModel.INSTANCE.charges(0, 0, TIERS));
    }
}
