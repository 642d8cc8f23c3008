package io.maas.billing.rating;

import java.math.BigDecimal;
import java.util.Map;

/**
 * The providers' share of adapter charges in basis points (1/100 of a percent): a default, and overrides for
 * adapters whose provider agreed to another share. Base-model charges are all the platform's.
 */
public record MarketplaceShare(int defaultProviderShareBps, Map<ModelRef, Integer> providerShareBpsByAdapter) {
    public static final int BPS_WHOLE = 10_000;

    public MarketplaceShare {
        checkBps(defaultProviderShareBps, "defaultProviderShareBps");
        Check.notNull(providerShareBpsByAdapter, "providerShareBpsByAdapter").forEach((adapter, bps) -> {
            Check.notNull(adapter, "adapter");
            Check.that(adapter.isAdapter(), "a provider share is set per adapter, not for the bare base " + adapter);
            checkBps(Check.notNull(bps, "share of " + adapter), "share of " + adapter);
        });
        providerShareBpsByAdapter = Map.copyOf(providerShareBpsByAdapter);
    }

    public static MarketplaceShare of(int defaultProviderShareBps) {
        return new MarketplaceShare(defaultProviderShareBps, Map.of());
    }

    public int providerShareBpsFor(ModelRef adapter) {
        return providerShareBpsByAdapter.getOrDefault(adapter, defaultProviderShareBps);
    }

    /** How a line on {@code model} is split: by the adapter's share for adapter usage, else all to the platform. */
    public ShareSplit splitFor(ModelRef model, String providerId, long amountMicros) {
        if (!model.isAdapter()) {
            return ShareSplit.platformOnly(amountMicros);
        }
        return split(amountMicros, providerId, providerShareBpsFor(model));
    }

    /**
     * The provider's part is amount × bps / 10,000 rounded half-even to whole micros, the platform's the rest:
     * rounding once and taking the remainder is what makes the parts add up exactly.
     */
    public static ShareSplit split(long amountMicros, String providerId, int providerShareBps) {
        Check.notNegative(amountMicros, "amountMicros");
        checkBps(providerShareBps, "providerShareBps");
        // amount × bps fits a long below ~$922M per line: exact in long arithmetic; beyond, in BigDecimal.
        long providerMicros = amountMicros <= Long.MAX_VALUE / BPS_WHOLE
                ? Money.divideHalfEven(amountMicros * providerShareBps, BPS_WHOLE)
                : BigDecimal.valueOf(amountMicros).multiply(BigDecimal.valueOf(providerShareBps))
                        .divide(BigDecimal.valueOf(BPS_WHOLE), 0, Money.ROUNDING).longValueExact();
        return new ShareSplit(providerId, providerShareBps, providerMicros, amountMicros - providerMicros);
    }

    private static void checkBps(int bps, String name) {
        Check.that(bps >= 0 && bps <= BPS_WHOLE, () -> name + " must be within 0..10000 basis points, was " + bps);
    }
}
