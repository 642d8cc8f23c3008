package io.maas.billing.rating;

import static io.maas.billing.rating.RatingFixtures.ALLOWANCE_TOKENS;
import static io.maas.billing.rating.RatingFixtures.LEGAL;
import static io.maas.billing.rating.RatingFixtures.LLAMA;
import static io.maas.billing.rating.RatingFixtures.LONG_AGO;
import static io.maas.billing.rating.RatingFixtures.MID_NOVEMBER;
import static io.maas.billing.rating.RatingFixtures.MISTRAL;
import static io.maas.billing.rating.RatingFixtures.NOVEMBER;
import static io.maas.billing.rating.RatingFixtures.OVERAGE_RATE;
import static io.maas.billing.rating.RatingFixtures.PROVIDER;
import static io.maas.billing.rating.RatingFixtures.SQL_EXPERT;
import static io.maas.billing.rating.RatingFixtures.USD;
import static io.maas.billing.rating.RatingFixtures.book;
import static io.maas.billing.rating.RatingFixtures.llamaFlat;
import static io.maas.billing.rating.RatingFixtures.rate;
import static io.maas.billing.rating.RatingFixtures.reservation;
import static io.maas.billing.rating.RatingFixtures.state;
import static io.maas.billing.rating.RatingFixtures.usage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.junit.jupiter.api.Test;

import io.maas.billing.metering.UsageStatus;

/** Rating end to end: the matching rule, then the price book or the reservation, then shares. */
class RaterTest {
    private static final MarketplaceShare SHARES = MarketplaceShare.of(3_000);
    private static final Reservation SQL_RESERVATION = reservation("r-sql", ReservationScope.adapters(Set.of(SQL_EXPERT)));

    private static RatingResult rated(Usage usage, PriceBook book, ReservationState... states) {
        return Rater.rate(new RatingInput(usage, book, List.of(states), SHARES));
    }

    @Test
    void payAsYouGoChargesPromptAtInputRateAndCompletionAtOutputRate() {
        RatingResult result = rated(usage(LLAMA, 1_000_000, 250_000), book(llamaFlat()));
        assertEquals(List.of(
                new ChargeLine(ChargeKind.PAYG_INPUT, LLAMA, 0, 1_000_000, rate("0.15"), 150_000, null, ShareSplit.platformOnly(150_000)),
                new ChargeLine(ChargeKind.PAYG_OUTPUT, LLAMA, 0, 250_000, rate("0.60"), 150_000, null, ShareSplit.platformOnly(150_000))),
                result.lines());
        assertEquals(300_000, result.totalMicros(), "$0.30");
        assertEquals(Optional.empty(), result.allowanceDraw());
        assertEquals(USD, result.currency());
        assertEquals(RatingFixtures.TENANT, result.tenantId());
    }

    @Test
    void eachLineIsRoundedOnceHalfToEven() {
        // 10 prompt tokens at 0.15 = 1.5 -> 2; 30 completion tokens at 0.15 = 4.5 -> 4.
        PriceBook book = book(PriceEntry.flat(LLAMA, LONG_AGO, rate("0.15"), rate("0.15")));
        RatingResult result = rated(usage(LLAMA, 10, 30), book);
        assertEquals(List.of(2L, 4L), result.lines().stream().map(ChargeLine::amountMicros).toList());
        assertEquals(6, result.totalMicros(), "not 40 × 0.15 = 6.0 by luck: 2 + 4");
    }

    @Test
    void perRequestTierPricesWholeRequestAtItsTier() {
        PriceBook book = book(new PriceEntry(LLAMA, LONG_AGO, ChargeModelType.PER_REQUEST_TIERED, List.of(
                PriceTier.upTo(512, rate("120"), rate("120")), PriceTier.unbounded(rate("100"), rate("100")))));
        assertEquals(60_000, rated(usage(LLAMA, 300, 200), book).totalMicros(), "500 tokens at $0.00012");
        assertEquals(60_000, rated(usage(LLAMA, 400, 200), book).totalMicros(), "600 tokens at $0.0001");
    }

    @Test
    void graduatedTierSplitsTokensAcrossTiers() {
        PriceBook book = book(new PriceEntry(LLAMA, LONG_AGO, ChargeModelType.GRADUATED_TIERED, List.of(
                PriceTier.upTo(512, rate("120"), rate("240")), PriceTier.unbounded(rate("100"), rate("200")))));
        RatingResult result = rated(usage(LLAMA, 400, 300), book);
        assertEquals(List.of(48_000L, 26_880L, 37_600L), result.lines().stream().map(ChargeLine::amountMicros).toList());
        assertEquals(List.of(0, 0, 1), result.lines().stream().map(ChargeLine::tierIndex).toList());
    }

    @Test
    void priceChangeNeverRewritesEarlierUsage() {
        Instant change = Instant.parse("2026-11-20T00:00:00Z");
        PriceBook before = book(llamaFlat());
        PriceBook after = before.withEntry(PriceEntry.flat(LLAMA, change, rate("1"), rate("1")), change);
        Usage earlier = usage(LLAMA, change.minusSeconds(1), 1_000, 1_000, UsageStatus.COMPLETED);
        assertEquals(rated(earlier, before), rated(earlier, after));
        Usage later = usage(LLAMA, change, 1_000, 1_000, UsageStatus.COMPLETED);
        assertEquals(2_000, rated(later, after).totalMicros());
    }

    @Test
    void failedRequestsAreNotCharged() {
        Usage failed = usage(LLAMA, MID_NOVEMBER, 1_000, 10, UsageStatus.FAILED);
        RatingResult result = rated(failed, book(llamaFlat()), state(SQL_RESERVATION, 0));
        assertEquals(List.of(), result.lines());
        assertEquals(Optional.empty(), result.allowanceDraw());
        // Not even an unpriced model fails: nothing is priced.
        assertEquals(List.of(), rated(usage(MISTRAL, MID_NOVEMBER, 5, 5, UsageStatus.FAILED), book(llamaFlat())).lines());
    }

    @Test
    void cancelledRequestsAreChargedForTheTokensTheyUsed() {
        Usage cancelled = usage(LLAMA, MID_NOVEMBER, 1_000_000, 250_000, UsageStatus.CANCELLED);
        assertEquals(300_000, rated(cancelled, book(llamaFlat())).totalMicros());
    }

    @Test
    void anUnpricedModelIsARatingError() {
        var missing = assertThrows(NoPriceException.class, () -> rated(usage(MISTRAL, 1, 1), book(llamaFlat())));
        assertEquals(MISTRAL, missing.model());
        assertEquals(MID_NOVEMBER, missing.at());
    }

    @Test
    void reservationUsageWithinTheAllowanceCostsNothingBeyondTheFee() {
        RatingResult result = rated(usage(SQL_EXPERT, 800, 700), book(llamaFlat()), state(SQL_RESERVATION, 0));
        assertEquals(List.of(new ChargeLine(ChargeKind.RESERVATION_INCLUDED, SQL_EXPERT, 0, 1_500, BigDecimal.ZERO, 0, "r-sql",
                new ShareSplit(PROVIDER, 3_000, 0, 0))), result.lines());
        assertEquals(Optional.of(new AllowanceDraw("r-sql", NOVEMBER, 1_500)), result.allowanceDraw());
    }

    @Test
    void requestStraddlingAllowanceSplitsIntoIncludedAndOverage() {
        RatingResult result = rated(usage(SQL_EXPERT, 800, 700), book(llamaFlat()), state(SQL_RESERVATION, ALLOWANCE_TOKENS - 1_000));
        assertEquals(List.of(
                new ChargeLine(ChargeKind.RESERVATION_INCLUDED, SQL_EXPERT, 0, 1_000, BigDecimal.ZERO, 0, "r-sql",
                        new ShareSplit(PROVIDER, 3_000, 0, 0)),
                new ChargeLine(ChargeKind.RESERVATION_OVERAGE, SQL_EXPERT, 0, 500, OVERAGE_RATE, 42_500, "r-sql",
                        new ShareSplit(PROVIDER, 3_000, 12_750, 29_750))),
                result.lines());
        assertEquals(1_000, result.allowanceDraw().orElseThrow().tokens());
        assertEquals(0, state(SQL_RESERVATION, ALLOWANCE_TOKENS - 1_000).after(result.allowanceDraw().orElseThrow())
                .allowanceRemainingTokens());
    }

    @Test
    void reservationOverageIsChargedAtOverageRate() {
        RatingResult result = rated(usage(SQL_EXPERT, 1_000, 0), book(llamaFlat()), state(SQL_RESERVATION, ALLOWANCE_TOKENS));
        assertEquals(85_000, result.totalMicros(), "1,000 tokens at $0.000085");
        assertEquals(ChargeKind.RESERVATION_OVERAGE, result.lines().get(0).kind());
    }

    @Test
    void mostSpecificReservationWins() {
        ReservationState everything = state(reservation("r-all", ReservationScope.everything()), 0);
        ReservationState llama = state(reservation("r-llama", ReservationScope.baseModel("llama-3-8b")), 0);
        ReservationState sql = state(SQL_RESERVATION, 0);
        PriceBook book = book(llamaFlat(), PriceEntry.flat(MISTRAL, LONG_AGO, rate("1"), rate("1")));
        assertEquals("r-sql", rated(usage(SQL_EXPERT, 1, 1), book, everything, llama, sql).allowanceDraw().orElseThrow().reservationId());
        assertEquals("r-llama", rated(usage(LEGAL, 1, 1), book, everything, llama, sql).allowanceDraw().orElseThrow().reservationId());
        assertEquals("r-all", rated(usage(MISTRAL, 1, 1), book, everything, llama, sql).allowanceDraw().orElseThrow().reservationId());
        assertEquals(Optional.empty(), rated(usage(MISTRAL, 1, 1), book, llama, sql).allowanceDraw(), "pay-as-you-go for the rest");
    }

    @Test
    void usageBeforeAMidMonthStartIsPayAsYouGo() {
        Instant start = Instant.parse("2026-11-10T12:00:00Z");
        ReservationState midMonth = state(reservation("r-new", ReservationScope.baseModel("llama-3-8b"), start), 0);
        Usage before = usage(LLAMA, start.minusSeconds(1), 1_000_000, 0, UsageStatus.COMPLETED);
        assertEquals(150_000, rated(before, book(llamaFlat()), midMonth).totalMicros());
        Usage after = usage(LLAMA, start, 1_000_000, 0, UsageStatus.COMPLETED);
        assertEquals(0, rated(after, book(llamaFlat()), midMonth).totalMicros());
        assertEquals(82_000_000L, midMonth.allowanceTokens());
    }

    @Test
    void adapterPayAsYouGoLinesAreSplitWithTheProvider() {
        PriceBook book = book(llamaFlat(), PriceEntry.flat(SQL_EXPERT, LONG_AGO, rate("1"), rate("2")));
        RatingResult result = Rater.rate(new RatingInput(usage(SQL_EXPERT, 1_000, 500), book, List.of(),
                new MarketplaceShare(3_000, java.util.Map.of(SQL_EXPERT, 7_000))));
        assertEquals(2_000, result.totalMicros());
        assertEquals(1_400, result.providerMicros());
        assertEquals(600, result.platformMicros());
    }

    @Test
    void anEmptyRequestHasNoLines() {
        assertEquals(List.of(), rated(usage(LLAMA, 0, 0), book(llamaFlat())).lines());
        RatingResult reserved = rated(usage(SQL_EXPERT, 0, 0), book(llamaFlat()), state(SQL_RESERVATION, 0));
        assertEquals(List.of(), reserved.lines());
        assertEquals(0, reserved.allowanceDraw().orElseThrow().tokens());
    }
}
