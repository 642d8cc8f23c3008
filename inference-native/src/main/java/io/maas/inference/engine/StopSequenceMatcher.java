package io.maas.inference.engine;

import java.util.List;

/**
 * Finds stop strings in streamed text, across chunk boundaries: releases only text that can no longer become part
 * of a stop string, and cuts the text before the first stop string completed.
 */
final class StopSequenceMatcher {

    // Invariant: released text never ends with a proper prefix of a stop string (that suffix stays pending), so
    // a stop string can only start inside the pending text and searching it alone is enough.

    private final List<String> stops;
    private final StringBuilder pending = new StringBuilder();
    private boolean stopped;

    StopSequenceMatcher(List<String> stops) {
        this.stops = List.copyOf(stops);
    }

    /** Adds a chunk; returns the text now safe to release (may be empty). Nothing is released after a stop. */
    String accept(String chunk) {
        if (stopped) {
            return "";
        }
        pending.append(chunk);
        if (stops.isEmpty()) {
            return drain(pending.length());
        }
        int cut = -1;
        for (String stop : stops) {
            int at = pending.indexOf(stop);
            if (at >= 0 && (cut < 0 || at < cut)) {
                cut = at;
            }
        }
        if (cut >= 0) {
            stopped = true;
            String out = pending.substring(0, cut);
            pending.setLength(0);
            return out;
        }
        return drain(pending.length() - heldBack());
    }

    /** Whether a stop string was found; the text released so far ends right before it. */
    boolean stopped() {
        return stopped;
    }

    /** At the end of generation: whatever is still held back (nothing after a stop). */
    String finish() {
        return stopped ? "" : drain(pending.length());
    }

    /** Length of the longest suffix of the pending text that is a proper prefix of some stop string. */
    private int heldBack() {
        int longest = 0;
        String text = pending.toString();
        int length = text.length();
        for (String stop : stops) {
            for (int n = Math.min(stop.length() - 1, length); n > longest; n--) {
                if (text.regionMatches(length - n, stop, 0, n)) {
                    longest = n;
                    break;
                }
            }
        }
        return longest;
    }

    private String drain(int n) {
        String out = pending.substring(0, n);
        pending.delete(0, n);
        return out;
    }
}
