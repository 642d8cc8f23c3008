package io.maas.billing.rating;

import java.util.List;

/**
 * Per-request ("volume") tiers: the request's total size, prompt plus completion, picks one tier, and every
 * token of the request is priced at that tier (prompt at its input rate, completion at its output rate).
 * Total size rather than prompt size, because the whole sequence occupies the model's context and cache.
 */
final class PerRequestTieredChargeModel implements ChargeModel {
    static final PerRequestTieredChargeModel INSTANCE = new PerRequestTieredChargeModel();

    private PerRequestTieredChargeModel() {
    }

    @Override
    public ChargeModelType type() {
        return ChargeModelType.PER_REQUEST_TIERED;
    }

    @Override
    public List<TokenCharge> charges(long tokensPrompt, long tokensCompletion, List<PriceTier> tiers) {
        long tokensTotal = tokensPrompt + tokensCompletion;
        int index = 0;
        // Terminates inside the list: the last tier is unbounded, so some tier holds every size.
        while (tokensTotal > tiers.get(index).upToTokens()) {
            index++;
        }
        return FlatChargeModel.atOneTier(index, tiers.get(index), tokensPrompt, tokensCompletion);
    }
}
