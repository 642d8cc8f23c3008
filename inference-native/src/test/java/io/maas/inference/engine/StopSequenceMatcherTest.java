package io.maas.inference.engine;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Stop strings over chunked text: found across chunks, cut before, and partial matches held back only while open. */
class StopSequenceMatcherTest {

    /** Feeds chunks, then finishes; returns every release (the last one is finish()'s). */
    private static List<String> run(StopSequenceMatcher m, String... chunks) {
        List<String> out = new ArrayList<>();
        for (String c : chunks) {
            out.add(m.accept(c));
        }
        out.add(m.finish());
        return out;
    }

    @Test
    void stopSplitAcrossChunksIsFoundAndCutBefore() {
        StopSequenceMatcher m = new StopSequenceMatcher(List.of("END"));
        // The stop string is removed with everything after it, and no part of it was ever released.
        assertEquals(List.of("hello ", "", "", ""), run(m, "hello E", "N", "D world"));
        assertTrue(m.stopped());
        assertEquals("", m.accept("more"), "nothing after a stop");
    }

    @Test
    void partialMatchIsReleasedOnceItCannotBecomeAStop() {
        StopSequenceMatcher m = new StopSequenceMatcher(List.of("END"));
        assertEquals(List.of("a", "", "ENx", ""), run(m, "aE", "N", "x"));
        assertFalse(m.stopped());
        StopSequenceMatcher atEnd = new StopSequenceMatcher(List.of("END"));
        assertEquals(List.of("a", "EN"), run(atEnd, "aEN"), "generation ended: the held text is released");
    }

    @Test
    void earliestCompletedStopWins() {
        StopSequenceMatcher m = new StopSequenceMatcher(List.of("world", "lo w", "x"));
        assertEquals(List.of("hel", ""), run(m, "hello world"));
        StopSequenceMatcher overlapping = new StopSequenceMatcher(List.of("abcd", "c"));
        // "c" completes while "abcd" is still open: generation stops at "c", as it would token by token.
        assertEquals(List.of("", "ab", ""), run(overlapping, "a", "bc"));
    }

    @Test
    void stopAtTheVeryStartGivesEmptyText() {
        StopSequenceMatcher m = new StopSequenceMatcher(List.of("\n\n"));
        assertEquals(List.of("", "", ""), run(m, "\n", "\nrest"));
        assertTrue(m.stopped());
    }

    @Test
    void repeatedPrefixCharactersAreHeldOnlyAsFarAsTheyCanMatch() {
        StopSequenceMatcher m = new StopSequenceMatcher(List.of("aab"));
        // "aaa": only the last "aa" can still start "aab"; "aac" can start nothing.
        assertEquals(List.of("a", "a", "aac", ""), run(m, "aaa", "a", "c"));
    }

    @Test
    void withoutStopsEverythingIsReleasedAtOnce() {
        StopSequenceMatcher m = new StopSequenceMatcher(List.of());
        assertEquals(List.of("abc", "def", ""), run(m, "abc", "def"));
    }
}
