package io.maas.billing.rating;

import java.util.ArrayList;
import java.util.List;

/**
 * Graduated tiers: a request's tokens are numbered 1..n, prompt tokens first and completion tokens after
 * them (the order the model processes them), and each token is priced at the tier its number falls in,
 * at the input rate if it is a prompt token and at the output rate if it is a completion token. So with a
 * first tier up to 512 tokens, the first 512 tokens of every request are priced at tier 1.
 */
final class GraduatedTieredChargeModel implements ChargeModel {
    static final GraduatedTieredChargeModel INSTANCE = new GraduatedTieredChargeModel();

    private GraduatedTieredChargeModel() {
    }

    @Override
    public ChargeModelType type() {
        return ChargeModelType.GRADUATED_TIERED;
    }

    @Override
    public List<TokenCharge> charges(long tokensPrompt, long tokensCompletion, List<PriceTier> tiers) {
        long tokensTotal = tokensPrompt + tokensCompletion;
        List<TokenCharge> inputs = new ArrayList<>(4);
        List<TokenCharge> outputs = new ArrayList<>(2);
        long tierStart = 0; // tokens numbered (tierStart, tier.upToTokens()] fall in this tier
        // Stays inside the list: the last tier is unbounded, so after it tierStart >= tokensTotal.
        for (int index = 0; tierStart < tokensTotal; index++) {
            PriceTier tier = tiers.get(index);
            long prompt = overlap(0, tokensPrompt, tierStart, tier.upToTokens());
            long completion = overlap(tokensPrompt, tokensTotal, tierStart, tier.upToTokens());
            if (prompt > 0) {
                inputs.add(new TokenCharge(ChargeKind.PAYG_INPUT, index, prompt, tier.inputMicrosPerToken()));
            }
            if (completion > 0) {
                outputs.add(new TokenCharge(ChargeKind.PAYG_OUTPUT, index, completion, tier.outputMicrosPerToken()));
            }
            tierStart = tier.upToTokens();
        }
        inputs.addAll(outputs);
        return inputs;
    }

    /** How many token numbers the half-open ranges (from, to] and (tierFrom, tierTo] share. */
    private static long overlap(long from, long to, long tierFrom, long tierTo) {
        return Math.max(0, Math.min(to, tierTo) - Math.max(from, tierFrom));
    }
}
