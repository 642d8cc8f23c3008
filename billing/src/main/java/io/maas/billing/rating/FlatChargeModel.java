package io.maas.billing.rating;

import java.util.ArrayList;
import java.util.List;

/** One input and one output rate for every token of every request: the price's single tier. */
final class FlatChargeModel implements ChargeModel {
    static final FlatChargeModel INSTANCE = new FlatChargeModel();

    private FlatChargeModel() {
    }

    @Override
    public ChargeModelType type() {
        return ChargeModelType.FLAT;
    }

    @Override
    public List<TokenCharge> charges(long tokensPrompt, long tokensCompletion, List<PriceTier> tiers) {
        return atOneTier(0, tiers.get(0), tokensPrompt, tokensCompletion);
    }

    /** All prompt tokens at the tier's input rate and all completion tokens at its output rate. */
    static List<TokenCharge> atOneTier(int tierIndex, PriceTier tier, long tokensPrompt, long tokensCompletion) {
        List<TokenCharge> charges = new ArrayList<>(2);
        if (tokensPrompt > 0) {
            charges.add(new TokenCharge(ChargeKind.PAYG_INPUT, tierIndex, tokensPrompt, tier.inputMicrosPerToken()));
        }
        if (tokensCompletion > 0) {
            charges.add(new TokenCharge(ChargeKind.PAYG_OUTPUT, tierIndex, tokensCompletion, tier.outputMicrosPerToken()));
        }
        return charges;
    }
}
