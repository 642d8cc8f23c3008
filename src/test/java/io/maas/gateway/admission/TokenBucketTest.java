package io.maas.gateway.admission;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The bucket behind every rate limit: capacity per minute, continuous refill, settlement of reservations. */
class TokenBucketTest {
    private static final long SECOND = 1_000_000_000L;

    @Test
    void aFullBucketGivesItsCapacityThenRefusesUntilRefilled() {
        TokenBucket bucket = new TokenBucket(60, 0);
        assertTrue(bucket.tryTake(60, 0));
        assertFalse(bucket.tryTake(1, 0));
        assertEquals(SECOND, bucket.nanosUntil(1, 0), "60 per minute refills one per second");
        assertTrue(bucket.tryTake(1, SECOND));
        assertEquals(0, bucket.remaining(SECOND));
    }

    @Test
    void aRefusedTakeTakesNothing() {
        TokenBucket bucket = new TokenBucket(100, 0);
        assertFalse(bucket.tryTake(101, 0));
        assertEquals(100, bucket.remaining(0));
    }

    @Test
    void givingBackNeverExceedsCapacity() {
        TokenBucket bucket = new TokenBucket(100, 0);
        assertTrue(bucket.tryTake(80, 0));
        bucket.giveBack(50, 0);
        assertEquals(70, bucket.remaining(0));
        bucket.giveBack(500, 0);
        assertEquals(100, bucket.remaining(0));
    }

    @Test
    void resetTimesUseOpenAisFormat() {
        assertEquals("120ms", RateLimiter.duration(120_000_000L));
        assertEquals("1s", RateLimiter.duration(SECOND));
        assertEquals("6m0s", RateLimiter.duration(360 * SECOND));
    }
}
