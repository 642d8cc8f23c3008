package io.maas.billing.rating;

import java.util.List;

/**
 * A pricing model: turns one request's prompt and completion tokens under a price's tiers into unrounded
 * token charges. Implementations are stateless and pure; they never see money rounding, the rater does.
 */
public interface ChargeModel {

    ChargeModelType type();

    /**
     * The charges for one request, in a stable order (input before output, lower tier first), each with at
     * least one token; their tokens add up to {@code tokensPrompt + tokensCompletion}.
     *
     * @param tiers ascending, the last one unbounded, as {@link PriceEntry} guarantees
     */
    List<TokenCharge> charges(long tokensPrompt, long tokensCompletion, List<PriceTier> tiers);

    /**
     * The model for a type. The switch has no default on purpose: the compiler then refuses to build until a
     * new {@link ChargeModelType} constant has its class here, and an unknown constant at run time (a newer
     * enum than this switch was compiled against) throws instead of pricing with some other model. Unknown
     * names from outside are refused earlier by {@link ChargeModelType#fromWire}.
     */
    static ChargeModel of(ChargeModelType type) {
        if (type == null) {
            throw new UnknownChargeModelException(null);
        }
        return switch (type) {
            case FLAT -> FlatChargeModel.INSTANCE;
            case PER_REQUEST_TIERED -> PerRequestTieredChargeModel.INSTANCE;
            case GRADUATED_TIERED -> GraduatedTieredChargeModel.INSTANCE;
        };
    }
}
