package io.maas.billing.rating;

import java.math.BigDecimal;

/**
 * One tier of a price: an inclusive upper bound in tokens and the input (prompt) and output (completion)
 * rates in micros per token that apply inside it. The last tier of a price is unbounded, so every request
 * size has a price.
 */
public record PriceTier(long upToTokens, BigDecimal inputMicrosPerToken, BigDecimal outputMicrosPerToken) {
    /** The bound of the last tier: no request is larger. */
    public static final long UNBOUNDED = Long.MAX_VALUE;

    public PriceTier {
        Check.that(upToTokens >= 1, "tier upToTokens must be >= 1, was " + upToTokens);
        Check.notNegative(inputMicrosPerToken, "inputMicrosPerToken");
        Check.notNegative(outputMicrosPerToken, "outputMicrosPerToken");
    }

    public static PriceTier upTo(long upToTokens, BigDecimal inputMicrosPerToken, BigDecimal outputMicrosPerToken) {
        return new PriceTier(upToTokens, inputMicrosPerToken, outputMicrosPerToken);
    }

    /** The last tier: everything above the previous bound (or every token, for a flat price). */
    public static PriceTier unbounded(BigDecimal inputMicrosPerToken, BigDecimal outputMicrosPerToken) {
        return new PriceTier(UNBOUNDED, inputMicrosPerToken, outputMicrosPerToken);
    }

    public boolean isUnbounded() {
        return upToTokens == UNBOUNDED;
    }
}
