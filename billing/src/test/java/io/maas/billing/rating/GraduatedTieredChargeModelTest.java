package io.maas.billing.rating;

import static io.maas.billing.rating.RatingFixtures.rate;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.junit.jupiter.api.Test;

/** Tier 1 covers token numbers 1..512 (in 120, out 240 µ), tier 2 the rest (in 100, out 200 µ). */
class GraduatedTieredChargeModelTest {
    private static final List<PriceTier> TIERS = List.of(
            PriceTier.upTo(512, rate("120"), rate("240")),
            PriceTier.unbounded(rate("100"), rate("200")));

    @Test
    void graduatedTierSplitsTokensAcrossTiers() {
        // Tokens 1..400 are prompt (tier 1), 401..512 completion in tier 1, 513..700 completion in tier 2.
        assertEquals(List.of(
                new TokenCharge(ChargeKind.PAYG_INPUT, 0, 400, rate("120")),
                new TokenCharge(ChargeKind.PAYG_OUTPUT, 0, 112, rate("240")),
                new TokenCharge(ChargeKind.PAYG_OUTPUT, 1, 188, rate("200"))),
                GraduatedTieredChargeModel.INSTANCE.charges(400, 300, TIERS));
    }

    @Test
    void aPromptLongerThanTheFirstTierSpillsIntoTheNext() {
        assertEquals(List.of(
                new TokenCharge(ChargeKind.PAYG_INPUT, 0, 512, rate("120")),
                new TokenCharge(ChargeKind.PAYG_INPUT, 1, 88, rate("100")),
                new TokenCharge(ChargeKind.PAYG_OUTPUT, 1, 100, rate("200"))),
                GraduatedTieredChargeModel.INSTANCE.charges(600, 100, TIERS));
    }

    @Test
    void aRequestWithinTheFirstTierNeverTouchesTheOthers() {
        List<PriceTier> three = List.of(PriceTier.upTo(10, rate("3"), rate("3")), PriceTier.upTo(20, rate("2"), rate("2")),
                PriceTier.unbounded(rate("1"), rate("1")));
        assertEquals(List.of(new TokenCharge(ChargeKind.PAYG_OUTPUT, 0, 10, rate("3"))),
                GraduatedTieredChargeModel.INSTANCE.charges(0, 10, three));
        assertEquals(List.of(
                new TokenCharge(ChargeKind.PAYG_INPUT, 0, 10, rate("3")),
                new TokenCharge(ChargeKind.PAYG_INPUT, 1, 10, rate("2")),
                new TokenCharge(ChargeKind.PAYG_INPUT, 2, 5, rate("1"))),
                GraduatedTieredChargeModel.INSTANCE.charges(25, 0, three));
        assertEquals(List.of(), GraduatedTieredChargeModel.INSTANCE.charges(0, 0, three));
    }
}
