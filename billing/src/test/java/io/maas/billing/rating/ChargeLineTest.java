package io.maas.billing.rating;

import static io.maas.billing.rating.RatingFixtures.LLAMA;
import static io.maas.billing.rating.RatingFixtures.SQL_EXPERT;
import static io.maas.billing.rating.RatingFixtures.rate;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ChargeLineTest {
    private static final MarketplaceShare SHARES = MarketplaceShare.of(3_000);

    @Test
    void aLineRoundsItsOwnAmountOnceAndSplitsIt() {
        ChargeLine line = ChargeLine.of(new TokenCharge(ChargeKind.PAYG_INPUT, 0, 10, rate("0.15")), SQL_EXPERT, null, "p", SHARES);
        assertEquals(2, line.amountMicros(), "1.5 micros -> 2");
        assertEquals(new ShareSplit("p", 3_000, 1, 1), line.share(), "0.6 -> 1 to the provider, the rest to the platform");
        ChargeLine base = ChargeLine.of(new TokenCharge(ChargeKind.PAYG_OUTPUT, 0, 30, rate("0.15")), LLAMA, null, null, SHARES);
        assertEquals(4, base.amountMicros(), "4.5 micros -> 4");
        assertEquals(ShareSplit.platformOnly(4), base.share());
    }

    @Test
    void anAmountThatIsNotTheLinesOwnRoundingIsRefused() {
        var adjusted = assertThrows(InvalidRatingInputException.class,
                () -> new ChargeLine(ChargeKind.PAYG_INPUT, LLAMA, 0, 10, rate("0.15"), 1, null, ShareSplit.platformOnly(1)));
        assertTrue(adjusted.getMessage().contains("half-even"));
    }

    @Test
    void reservationLinesAndOnlyThemNameAReservation() {
        assertThrows(InvalidRatingInputException.class,
                () -> new ChargeLine(ChargeKind.RESERVATION_OVERAGE, LLAMA, 0, 1, rate("85"), 85, null, ShareSplit.platformOnly(85)));
        assertThrows(InvalidRatingInputException.class,
                () -> new ChargeLine(ChargeKind.PAYG_INPUT, LLAMA, 0, 1, rate("85"), 85, "r1", ShareSplit.platformOnly(85)));
        assertEquals("r1", new ChargeLine(ChargeKind.RESERVATION_OVERAGE, LLAMA, 0, 1, rate("85"), 85, "r1",
                ShareSplit.platformOnly(85)).reservationId());
    }

    @Test
    void malformedLinesAreRefused() {
        ShareSplit share = ShareSplit.platformOnly(1);
        assertThrows(InvalidRatingInputException.class, () -> new ChargeLine(null, LLAMA, 0, 1, rate("1"), 1, null, share));
        assertThrows(InvalidRatingInputException.class, () -> new ChargeLine(ChargeKind.PAYG_INPUT, null, 0, 1, rate("1"), 1, null, share));
        assertThrows(InvalidRatingInputException.class, () -> new ChargeLine(ChargeKind.PAYG_INPUT, LLAMA, -1, 1, rate("1"), 1, null, share));
        assertThrows(InvalidRatingInputException.class, () -> new ChargeLine(ChargeKind.PAYG_INPUT, LLAMA, 0, 0, rate("1"), 0, null, share));
        assertThrows(InvalidRatingInputException.class, () -> new ChargeLine(ChargeKind.PAYG_INPUT, LLAMA, 0, 1, null, 1, null, share));
        assertThrows(InvalidRatingInputException.class, () -> new ChargeLine(ChargeKind.PAYG_INPUT, LLAMA, 0, 1, rate("1"), 1, null, null));
        assertThrows(InvalidRatingInputException.class,
                () -> new ChargeLine(ChargeKind.PAYG_INPUT, LLAMA, 0, 1, rate("1"), 1, null, ShareSplit.platformOnly(2)));
        assertEquals(1, new ChargeLine(ChargeKind.PAYG_INPUT, LLAMA, 0, 1, rate("1"), 1, null, share).amountMicros());
    }
}
