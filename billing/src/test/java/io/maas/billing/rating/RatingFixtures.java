package io.maas.billing.rating;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.YearMonth;
import java.util.Currency;
import java.util.List;
import java.util.UUID;

import io.maas.billing.metering.UsageStatus;

/** Shared values of the rating tests: the numbers of docs/billing.md, so tests and docs tell one story. */
final class RatingFixtures {
    static final Currency USD = Currency.getInstance("USD");
    static final String TENANT = "acme";
    static final String BASE = "llama-3-8b";
    static final ModelRef LLAMA = ModelRef.base(BASE);
    static final ModelRef SQL_EXPERT = ModelRef.adapter(BASE, "sql-expert");
    static final ModelRef LEGAL = ModelRef.adapter(BASE, "legal");
    static final ModelRef MISTRAL = ModelRef.base("mistral-7b");
    static final String PROVIDER = "lora-labs";

    /** November 2026 has 30 days: 2,592,000 seconds. */
    static final BillingPeriod NOVEMBER = BillingPeriod.of(YearMonth.of(2026, 11));
    static final Instant NOV_1 = Instant.parse("2026-11-01T00:00:00Z");
    static final Instant MID_NOVEMBER = Instant.parse("2026-11-15T09:30:00Z");
    static final Instant LONG_AGO = Instant.parse("2020-01-01T00:00:00Z");

    /** $2,800 a month including 120M tokens, overage at $0.000085 a token. */
    static final long FEE_MICROS = Money.micros("2800");
    static final long ALLOWANCE_TOKENS = 120_000_000L;
    static final BigDecimal OVERAGE_RATE = Money.ratePerToken("0.000085");

    private RatingFixtures() {
    }

    static BigDecimal rate(String microsPerToken) {
        return new BigDecimal(microsPerToken);
    }

    /** $0.15 per 1M prompt tokens, $0.60 per 1M completion tokens, in force since long ago. */
    static PriceEntry llamaFlat() {
        return PriceEntry.flat(LLAMA, LONG_AGO, rate("0.15"), rate("0.60"));
    }

    static PriceBook book(PriceEntry... entries) {
        return new PriceBook(USD, List.of(entries));
    }

    static Reservation reservation(String id, ReservationScope scope, Instant startsAt) {
        return new Reservation(id, TENANT, scope, USD, FEE_MICROS, ALLOWANCE_TOKENS, OVERAGE_RATE, startsAt, null);
    }

    static Reservation reservation(String id, ReservationScope scope) {
        return reservation(id, scope, LONG_AGO);
    }

    static ReservationState state(Reservation reservation, long allowanceUsedTokens) {
        return new ReservationState(reservation, NOVEMBER, allowanceUsedTokens);
    }

    static Usage usage(ModelRef model, long tokensPrompt, long tokensCompletion) {
        return usage(model, MID_NOVEMBER, tokensPrompt, tokensCompletion, UsageStatus.COMPLETED);
    }

    static Usage usage(ModelRef model, Instant at, long tokensPrompt, long tokensCompletion, UsageStatus status) {
        return new Usage(UUID.nameUUIDFromBytes((model + "@" + at + "/" + tokensPrompt + "/" + tokensCompletion).getBytes()),
                at, TENANT, model, model.isAdapter() ? PROVIDER : null, tokensPrompt, tokensCompletion, status);
    }
}
