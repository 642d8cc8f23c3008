package io.maas.inference.engine;

/** Why generation ended: the model emitted an end-of-sequence token, or the token budget ran out. */
public enum FinishReason {
    STOP("stop"),
    LENGTH("length");

    private final String wireName;

    FinishReason(String wireName) {
        this.wireName = wireName;
    }

    /** The OpenAI API's {@code finish_reason} value. */
    public String wireName() {
        return wireName;
    }
}
