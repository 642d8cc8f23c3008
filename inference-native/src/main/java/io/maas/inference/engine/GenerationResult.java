package io.maas.inference.engine;

import java.util.List;

/**
 * A finished completion with its token usage, why it ended, optional log-probabilities and time to first token.
 *
 * @param logprobs           one entry per generated token except a final end-of-sequence token; empty unless the
 *                           request asked for logprobs
 * @param timeToFirstTokenMs from {@code generate()} entry until the first token was chosen; -1 when none was
 */
// completionTokens counts every generated token including the end-of-sequence token that stopped generation
// (as OpenAI bills it), while text never contains that token.
public record GenerationResult(String text, int promptTokens, int completionTokens, FinishReason finishReason,
                               List<TokenLogprob> logprobs, long timeToFirstTokenMs) {

    public GenerationResult {
        logprobs = List.copyOf(logprobs);
    }

    /** Without logprobs or timing ({@code timeToFirstTokenMs} = -1). */
    public GenerationResult(String text, int promptTokens, int completionTokens, FinishReason finishReason) {
        this(text, promptTokens, completionTokens, finishReason, List.of(), -1);
    }
}
