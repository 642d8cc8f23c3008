package io.maas.inference.engine;

/** A completion request: the prompt as raw text (chat templates are applied by the caller) and a token budget. */
public record GenerationRequest(String prompt, int maxTokens) {

    public GenerationRequest {
        if (prompt == null) {
            throw new IllegalArgumentException("prompt must not be null");
        }
        if (maxTokens < 1) {
            throw new IllegalArgumentException("maxTokens must be at least 1, was " + maxTokens);
        }
    }
}
