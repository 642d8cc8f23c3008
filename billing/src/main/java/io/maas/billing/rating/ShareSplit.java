package io.maas.billing.rating;

/**
 * A charge line's amount divided between the adapter's provider and the platform. The two parts always add
 * up to the line: the provider's part is rounded and the platform takes the remainder.
 *
 * @param providerId null for a base-model line, which is all the platform's
 */
public record ShareSplit(String providerId, int providerShareBps, long providerMicros, long platformMicros) {

    public ShareSplit {
        Check.that(providerShareBps >= 0 && providerShareBps <= MarketplaceShare.BPS_WHOLE,
                () -> "providerShareBps must be within 0..10000, was " + providerShareBps);
        Check.that(providerId != null || providerShareBps == 0, "a provider share needs a provider");
        Check.notNegative(providerMicros, "providerMicros");
        Check.notNegative(platformMicros, "platformMicros");
    }

    /** The whole amount to the platform: base-model usage has no provider to pay. */
    public static ShareSplit platformOnly(long amountMicros) {
        return new ShareSplit(null, 0, 0, amountMicros);
    }

    public long amountMicros() {
        return Math.addExact(providerMicros, platformMicros);
    }
}
