package io.maas.billing.rating;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Currency;

/**
 * Reserved capacity a tenant buys by the month: a fee that includes a token allowance on a scope, and an
 * overage rate for tokens beyond it. It recurs every calendar month (UTC) from {@code startsAt} until
 * {@code endsAt} (exclusive; null while not cancelled). A month it covers only in part has its fee and its
 * allowance prorated by the second; unused allowance expires at the end of each month.
 *
 * <p>Prompt and completion tokens draw the allowance alike: capacity is reserved in tokens, and a tenant
 * should not have to predict the mix of its traffic to size a reservation.
 */
public record Reservation(
        String id,
        String tenantId,
        ReservationScope scope,
        Currency currency,
        long feeMonthlyMicros,
        long allowanceMonthlyTokens,
        BigDecimal overageMicrosPerToken,
        Instant startsAt,
        Instant endsAt) {

    public Reservation {
        Check.notBlank(id, "reservation id");
        Check.notBlank(tenantId, "reservation " + id + " tenantId");
        Check.notNull(scope, "reservation " + id + " scope");
        Check.notNull(currency, "reservation " + id + " currency");
        Check.notNegative(feeMonthlyMicros, "reservation " + id + " feeMonthlyMicros");
        Check.notNegative(allowanceMonthlyTokens, "reservation " + id + " allowanceMonthlyTokens");
        Check.notNegative(overageMicrosPerToken, "reservation " + id + " overageMicrosPerToken");
        Check.notNull(startsAt, "reservation " + id + " startsAt");
        // Proration is by the second; a fraction of a second would be a rounding decision nobody made.
        Check.that(startsAt.getNano() == 0, "reservation " + id + " startsAt must be a whole second");
        Check.that(endsAt == null || endsAt.getNano() == 0, "reservation " + id + " endsAt must be a whole second");
        Check.that(endsAt == null || endsAt.isAfter(startsAt), "reservation " + id + " must end after it starts");
    }

    /** Whether a request at {@code at} can be rated against this reservation: startsAt <= at < endsAt. */
    public boolean isActiveAt(Instant at) {
        return !at.isBefore(startsAt) && (endsAt == null || at.isBefore(endsAt));
    }

    /** The fee owed for {@code period}: the monthly fee prorated by the seconds it is active in the period. */
    public long feeMicrosFor(BillingPeriod period) {
        return Proration.prorate(feeMonthlyMicros, period, startsAt, endsAt);
    }

    /** The allowance of {@code period}, prorated exactly as the fee is. */
    public long allowanceTokensFor(BillingPeriod period) {
        return Proration.prorate(allowanceMonthlyTokens, period, startsAt, endsAt);
    }

    /** This reservation cancelled: it stops covering requests, and its fee and allowance stop accruing, at {@code at}. */
    public Reservation endingAt(Instant at) {
        return new Reservation(id, tenantId, scope, currency, feeMonthlyMicros, allowanceMonthlyTokens,
                overageMicrosPerToken, startsAt, Check.notNull(at, "reservation " + id + " endsAt"));
    }
}
