package io.maas.inference.engine;

/** A finished completion with its token usage and why it ended. */
// completionTokens counts every generated token including the end-of-sequence token that stopped generation
// (as OpenAI bills it), while text never contains that token.
public record GenerationResult(String text, int promptTokens, int completionTokens, FinishReason finishReason) {
}
