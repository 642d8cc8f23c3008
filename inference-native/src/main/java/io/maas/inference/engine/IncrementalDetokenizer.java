package io.maas.inference.engine;

import java.util.Arrays;
import java.util.List;

/**
 * Turns generated token ids, one at a time, into text deltas that are safe to stream: never half a UTF-8
 * character, never text that could still be the start of a stop string; the deltas concatenate to {@link #text()}.
 */
final class IncrementalDetokenizer {

    // The approach of Hugging Face's text-generation-inference: decode a short window that starts one emission
    // back, and release what the newest tokens added to it. The window's first tokens give context, so decoders
    // that treat the first token specially (SentencePiece's leading space) agree with a whole-sequence decode.
    // Byte-level BPE tokens can end inside a character; the decoder renders such a tail as U+FFFD, so a window
    // ending in U+FFFD waits for more bytes. A character has at most 4 bytes, so a U+FFFD still there after more
    // tokens is an invalid sequence (random models emit them): the window is then cut at the last token boundary
    // where decoding in two parts equals decoding at once, which keeps windows short (no quadratic decoding).

    /** New tokens a window may hold while it ends in U+FFFD: one UTF-8 character's worth. */
    static final int MAX_PENDING_TOKENS = 4;

    private static final char REPLACEMENT = '\uFFFD';

    private final ModelTokenizer tokenizer;
    private final StopSequenceMatcher stops;
    private final StringBuilder text = new StringBuilder();
    private int[] ids;
    private int size;
    /** Window start: tokens before it are released and no longer decoded. */
    private int prefixOffset;
    /** Tokens before this are released; [prefixOffset, readOffset) is the window's context. */
    private int readOffset;
    /** decode(ids[prefixOffset, readOffset)). */
    private String prefixText = "";
    private boolean finished;

    IncrementalDetokenizer(ModelTokenizer tokenizer, List<String> stop, int capacityTokens) {
        this.tokenizer = tokenizer;
        this.stops = new StopSequenceMatcher(stop);
        this.ids = new int[Math.max(1, capacityTokens)];
    }

    /** Adds one generated token; returns the text it made safe to release (often empty). */
    String accept(int id) {
        if (finished) {
            throw new IllegalStateException("already finished");
        }
        if (size == ids.length) {
            ids = Arrays.copyOf(ids, size * 2);
        }
        ids[size++] = id;
        if (stops.stopped()) {
            return "";
        }
        String window = decode(prefixOffset, size);
        if (window.length() > prefixText.length() && window.charAt(window.length() - 1) != REPLACEMENT
                && window.startsWith(prefixText)) {
            return advance(window, size);
        }
        if (size - readOffset > MAX_PENDING_TOKENS) {
            // A stable boundary lies among the last few tokens; looking further back would make each step O(n).
            for (int cut = size - 1; cut > Math.max(readOffset, size - 2 * MAX_PENDING_TOKENS); cut--) {
                String head = decode(prefixOffset, cut);
                if (head.length() > prefixText.length() && head.startsWith(prefixText)
                        && window.equals(head + decode(cut, size))) {
                    return advance(head, cut);
                }
            }
        }
        return "";
    }

    /** Releases what {@code window} = decode(ids[prefixOffset, end)) adds to the context; the window moves on. */
    private String advance(String window, int end) {
        String delta = window.substring(prefixText.length());
        prefixOffset = readOffset;
        readOffset = end;
        prefixText = decode(prefixOffset, readOffset);
        return release(stops.accept(delta));
    }

    /** Whether a stop string ended the text; later tokens add nothing. */
    boolean stopped() {
        return stops.stopped();
    }

    /** Releases everything still held (an incomplete character as U+FFFD, a partial stop string as text). */
    String finish() {
        if (finished) {
            return "";
        }
        finished = true;
        String tail = "";
        if (!stops.stopped()) {
            String window = decode(prefixOffset, size);
            // A decoder that rewrote the context (never seen with byte-level BPE or SentencePiece) loses only
            // what it rewrote: the rest of the window is still released.
            int common = 0;
            int limit = Math.min(window.length(), prefixText.length());
            while (common < limit && window.charAt(common) == prefixText.charAt(common)) {
                common++;
            }
            tail = window.substring(common);
        }
        String out = stops.accept(tail);
        return release(out + stops.finish());
    }

    /** All text released so far: the completion's text once finished. */
    String text() {
        return text.toString();
    }

    private String release(String delta) {
        text.append(delta);
        return delta;
    }

    private String decode(int from, int to) {
        return from == to ? "" : tokenizer.decode(Arrays.copyOfRange(ids, from, to));
    }
}
