package io.maas.gateway.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

class FailureWindowsTest {
    private final AtomicLong now = new AtomicLong(0);
    private final FailureWindows windows = new FailureWindows(3, Duration.ofSeconds(60), 2, now::get);

    @Test
    void sourceIsRefusedAtTheLimitUntilItsWindowEnds() {
        for (int i = 0; i < 2; i++) {
            windows.recordFailure("a");
        }
        assertEquals(0, windows.retryAfterSeconds("a"));
        windows.recordFailure("a");
        assertEquals(60, windows.retryAfterSeconds("a"));
        now.addAndGet(Duration.ofSeconds(59).plusMillis(1).toNanos());
        assertEquals(1, windows.retryAfterSeconds("a"));
        now.addAndGet(Duration.ofSeconds(1).toNanos());
        assertEquals(0, windows.retryAfterSeconds("a"));
        assertEquals(0, windows.retryAfterSeconds("b"), "other sources are unaffected");
    }

    @Test
    void failuresInAnOldWindowDoNotCount() {
        windows.recordFailure("a");
        windows.recordFailure("a");
        now.addAndGet(Duration.ofSeconds(61).toNanos());
        windows.recordFailure("a");
        assertEquals(0, windows.retryAfterSeconds("a"));
    }

    @Test
    void trackedSourcesAreBoundedAndExpiredOnesMakeRoom() {
        windows.recordFailure("a");
        windows.recordFailure("b");
        windows.recordFailure("c");
        assertEquals(2, windows.trackedSources(), "a new source beyond the bound is not tracked");
        now.addAndGet(Duration.ofSeconds(61).toNanos());
        windows.recordFailure("c");
        assertEquals(1, windows.trackedSources());
    }
}
