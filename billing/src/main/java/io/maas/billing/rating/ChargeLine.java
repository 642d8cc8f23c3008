package io.maas.billing.rating;

import java.math.BigDecimal;

/**
 * One line of a rated request: tokens of one kind at one rate, the amount rounded once from them, and how
 * that amount is split with the adapter's provider.
 *
 * @param tierIndex the price tier of the rate (0-based); 0 for untiered prices and reservation lines
 * @param reservationId the reservation the line was rated against; null for pay-as-you-go lines
 */
public record ChargeLine(
        ChargeKind kind,
        ModelRef model,
        int tierIndex,
        long tokens,
        BigDecimal rateMicrosPerToken,
        long amountMicros,
        String reservationId,
        ShareSplit share) {

    public ChargeLine {
        Check.notNull(kind, "kind");
        Check.notNull(model, "model");
        Check.that(tierIndex >= 0, () -> "tierIndex must be >= 0, was " + tierIndex);
        Check.that(tokens > 0, () -> "a charge line has at least one token, was " + tokens);
        Check.notNegative(rateMicrosPerToken, "rateMicrosPerToken");
        // The amount is a function of the line's own tokens and rate: no line is adjusted to fix a sum elsewhere.
        Check.that(amountMicros == Money.lineAmountMicros(tokens, rateMicrosPerToken),
                () -> "amount " + amountMicros + " is not " + tokens + " tokens at " + rateMicrosPerToken.toPlainString()
                        + " micros rounded half-even");
        Check.that(kind.isReservation() == (reservationId != null),
                () -> kind + " line with reservation " + reservationId
                        + ": reservation lines name their reservation, other lines none");
        Check.notNull(share, "share");
        Check.that(share.amountMicros() == amountMicros, "share parts do not add up to the line's amount");
    }

    /** A line for {@code charge}, its amount rounded here, once, and split by {@code shares}. */
    public static ChargeLine of(TokenCharge charge, ModelRef model, String reservationId, String providerId,
            MarketplaceShare shares) {
        long amountMicros = Money.lineAmountMicros(charge.tokens(), charge.rateMicrosPerToken());
        return new ChargeLine(charge.kind(), model, charge.tierIndex(), charge.tokens(), charge.rateMicrosPerToken(),
                amountMicros, reservationId, shares.splitFor(model, providerId, amountMicros));
    }
}
