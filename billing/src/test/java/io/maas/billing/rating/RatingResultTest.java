package io.maas.billing.rating;

import static io.maas.billing.rating.RatingFixtures.NOVEMBER;
import static io.maas.billing.rating.RatingFixtures.SQL_EXPERT;
import static io.maas.billing.rating.RatingFixtures.USD;
import static io.maas.billing.rating.RatingFixtures.rate;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.junit.jupiter.api.Test;

class RatingResultTest {
    private static final UUID ID = UUID.fromString("7d444840-9dc0-11d1-b245-5ffdce74fad2");
    private static final MarketplaceShare SHARES = MarketplaceShare.of(3_000);
    private static final ChargeLine INCLUDED = ChargeLine.of(
            new TokenCharge(ChargeKind.RESERVATION_INCLUDED, 0, 1_000, BigDecimal.ZERO), SQL_EXPERT, "r1", "p", SHARES);
    private static final ChargeLine OVERAGE = ChargeLine.of(
            new TokenCharge(ChargeKind.RESERVATION_OVERAGE, 0, 500, rate("85")), SQL_EXPERT, "r1", "p", SHARES);
    private static final Optional<AllowanceDraw> DRAW = Optional.of(new AllowanceDraw("r1", NOVEMBER, 1_000));

    @Test
    void totalsAddUpTheLinesAndTheirShares() {
        RatingResult result = new RatingResult(ID, "acme", USD, List.of(INCLUDED, OVERAGE), DRAW);
        assertEquals(42_500, result.totalMicros());
        assertEquals(12_750, result.providerMicros());
        assertEquals(29_750, result.platformMicros());
        RatingResult empty = new RatingResult(ID, "acme", USD, List.of(), Optional.empty());
        assertEquals(0, empty.totalMicros());
    }

    @Test
    void linesMustAgreeWithTheDrawOnTheReservation() {
        assertThrows(InvalidRatingInputException.class,
                () -> new RatingResult(ID, "acme", USD, List.of(OVERAGE), Optional.of(new AllowanceDraw("r2", NOVEMBER, 0))));
        assertThrows(InvalidRatingInputException.class, () -> new RatingResult(ID, "acme", USD, List.of(OVERAGE), Optional.empty()));
        ChargeLine payg = ChargeLine.of(new TokenCharge(ChargeKind.PAYG_INPUT, 0, 1, rate("1")), SQL_EXPERT, null, "p", SHARES);
        assertEquals(1, new RatingResult(ID, "acme", USD, List.of(payg), Optional.empty()).totalMicros());
    }

    @Test
    void missingPartsAreRefused() {
        assertThrows(InvalidRatingInputException.class, () -> new RatingResult(null, "acme", USD, List.of(), DRAW));
        assertThrows(InvalidRatingInputException.class, () -> new RatingResult(ID, "", USD, List.of(), DRAW));
        assertThrows(InvalidRatingInputException.class, () -> new RatingResult(ID, "acme", null, List.of(), DRAW));
        assertThrows(InvalidRatingInputException.class, () -> new RatingResult(ID, "acme", USD, null, DRAW));
        assertThrows(InvalidRatingInputException.class, () -> new RatingResult(ID, "acme", USD, List.of(), null));
        assertThrows(InvalidRatingInputException.class,
                () -> new RatingResult(ID, "acme", USD, new ArrayList<>(Arrays.asList(INCLUDED, null)), DRAW));
    }
}
