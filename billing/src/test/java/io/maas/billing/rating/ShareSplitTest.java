package io.maas.billing.rating;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ShareSplitTest {

    @Test
    void aBaseModelLineIsAllThePlatforms() {
        ShareSplit split = ShareSplit.platformOnly(42_500);
        assertEquals(new ShareSplit(null, 0, 0, 42_500), split);
        assertEquals(42_500, split.amountMicros());
    }

    @Test
    void invalidSplitsAreRefused() {
        assertThrows(InvalidRatingInputException.class, () -> new ShareSplit("p", -1, 0, 0));
        assertThrows(InvalidRatingInputException.class, () -> new ShareSplit("p", 10_001, 0, 0));
        assertThrows(InvalidRatingInputException.class, () -> new ShareSplit(null, 1, 0, 0));
        assertThrows(InvalidRatingInputException.class, () -> new ShareSplit("p", 1, -1, 1));
        assertThrows(InvalidRatingInputException.class, () -> new ShareSplit("p", 1, 1, -1));
        assertEquals(10, new ShareSplit("p", 10_000, 10, 0).amountMicros());
    }
}
