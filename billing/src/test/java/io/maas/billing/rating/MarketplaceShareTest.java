package io.maas.billing.rating;

import static io.maas.billing.rating.RatingFixtures.LEGAL;
import static io.maas.billing.rating.RatingFixtures.LLAMA;
import static io.maas.billing.rating.RatingFixtures.SQL_EXPERT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;

class MarketplaceShareTest {

    @Test
    void providerShareAndPlatformShareSumToTheLine() {
        assertEquals(new ShareSplit("p", 3_000, 12_750, 29_750), MarketplaceShare.split(42_500, "p", 3_000));
        Random random = new Random(4);
        for (int i = 0; i < 10_000; i++) {
            long amountMicros = random.nextInt(1 << 20);
            int bps = random.nextInt(MarketplaceShare.BPS_WHOLE + 1);
            ShareSplit split = MarketplaceShare.split(amountMicros, "p", bps);
            assertEquals(amountMicros, split.providerMicros() + split.platformMicros(), amountMicros + " at " + bps);
        }
    }

    @Test
    void theProvidersPartRoundsHalfToEven() {
        assertEquals(2, MarketplaceShare.split(5, "p", 5_000).providerMicros(), "2.5 -> 2");
        assertEquals(3, MarketplaceShare.split(5, "p", 5_000).platformMicros());
        assertEquals(4, MarketplaceShare.split(7, "p", 5_000).providerMicros(), "3.5 -> 4");
        assertEquals(3, MarketplaceShare.split(7, "p", 5_000).platformMicros());
        assertEquals(0, MarketplaceShare.split(1, "p", 5_000).providerMicros(), "0.5 -> 0");
        assertEquals(0, MarketplaceShare.split(100, "p", 0).providerMicros());
        assertEquals(100, MarketplaceShare.split(100, "p", 10_000).providerMicros());
    }

    @Test
    void adapterLinesUseTheAdaptersShareAndBaseLinesGoToThePlatform() {
        MarketplaceShare shares = new MarketplaceShare(3_000, Map.of(SQL_EXPERT, 7_000));
        assertEquals(7_000, shares.providerShareBpsFor(SQL_EXPERT));
        assertEquals(3_000, shares.providerShareBpsFor(LEGAL));
        assertEquals(new ShareSplit("p", 7_000, 700, 300), shares.splitFor(SQL_EXPERT, "p", 1_000));
        assertEquals(new ShareSplit("p", 3_000, 300, 700), shares.splitFor(LEGAL, "p", 1_000));
        assertEquals(ShareSplit.platformOnly(1_000), shares.splitFor(LLAMA, null, 1_000));
        assertEquals(MarketplaceShare.of(2_500), new MarketplaceShare(2_500, Map.of()));
    }

    @Test
    void sharesOutsideZeroToTenThousandBasisPointsAreRefused() {
        assertThrows(InvalidRatingInputException.class, () -> MarketplaceShare.of(-1));
        assertThrows(InvalidRatingInputException.class, () -> MarketplaceShare.of(10_001));
        assertThrows(InvalidRatingInputException.class, () -> new MarketplaceShare(0, Map.of(SQL_EXPERT, 10_001)));
        assertThrows(InvalidRatingInputException.class, () -> new MarketplaceShare(0, Map.of(LLAMA, 100)));
        assertThrows(InvalidRatingInputException.class, () -> new MarketplaceShare(0, null));
        Map<ModelRef, Integer> nullShare = new HashMap<>();
        nullShare.put(SQL_EXPERT, null);
        assertThrows(InvalidRatingInputException.class, () -> new MarketplaceShare(0, nullShare));
        Map<ModelRef, Integer> nullAdapter = new HashMap<>();
        nullAdapter.put(null, 1);
        assertThrows(InvalidRatingInputException.class, () -> new MarketplaceShare(0, nullAdapter));
        assertThrows(InvalidRatingInputException.class, () -> MarketplaceShare.split(-1, "p", 100));
        assertThrows(InvalidRatingInputException.class, () -> MarketplaceShare.split(1, "p", 10_001));
    }

    @Test
    void aLineTooLargeForLongArithmeticSplitsExactlyThroughBigDecimal() {
        long huge = Long.MAX_VALUE / 2; // amount × bps overflows a long
        ShareSplit split = MarketplaceShare.split(huge, "p1", 3333);
        long expected = new java.math.BigDecimal(huge).multiply(java.math.BigDecimal.valueOf(3333))
                .divide(java.math.BigDecimal.valueOf(10_000), 0, java.math.RoundingMode.HALF_EVEN).longValueExact();
        assertEquals(expected, split.providerMicros());
        assertEquals(huge, split.providerMicros() + split.platformMicros());
        assertEquals(2, MarketplaceShare.split(5, "p1", 5000).providerMicros(), "2.5 rounds to the even 2");
    }
}
