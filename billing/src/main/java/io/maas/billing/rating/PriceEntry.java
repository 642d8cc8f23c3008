package io.maas.billing.rating;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;

/**
 * The price of one base model or adapter from an instant on, until the next entry for the same model takes
 * effect. Tiers are by request size; how a request meets them is the charge model's rule.
 */
public record PriceEntry(ModelRef model, Instant effectiveFrom, ChargeModelType chargeModel, List<PriceTier> tiers) {

    public PriceEntry {
        Check.notNull(model, "model");
        Check.notNull(effectiveFrom, "effectiveFrom");
        Check.notNull(chargeModel, "chargeModel");
        Check.notNull(tiers, "tiers").forEach(tier -> Check.notNull(tier, "tier"));
        tiers = List.copyOf(tiers);
        Check.that(!tiers.isEmpty(), "price of " + model + " has no tiers");
        for (int i = 1; i < tiers.size(); i++) {
            Check.that(tiers.get(i - 1).upToTokens() < tiers.get(i).upToTokens(),
                    "tiers of " + model + " must ascend strictly by upToTokens");
        }
        // Every request size must have a price; a bounded last tier would leave large requests unpriced.
        Check.that(tiers.get(tiers.size() - 1).isUnbounded(), "the last tier of " + model + " must be unbounded");
        Check.that(chargeModel != ChargeModelType.FLAT || tiers.size() == 1,
                "a flat price of " + model + " has exactly one tier");
    }

    public static PriceEntry flat(ModelRef model, Instant effectiveFrom,
            BigDecimal inputMicrosPerToken, BigDecimal outputMicrosPerToken) {
        return new PriceEntry(model, effectiveFrom, ChargeModelType.FLAT,
                List.of(PriceTier.unbounded(inputMicrosPerToken, outputMicrosPerToken)));
    }
}
