package io.maas.inference.engine;

/** Why generation ended: an end-of-sequence token or stop string, the token budget, or the caller cancelled. */
public enum FinishReason {
    STOP("stop"),
    LENGTH("length"),
    /** The listener reported cancellation; the tokens generated until then are counted. Not an OpenAI value. */
    CANCELLED("cancelled");

    private final String wireName;

    FinishReason(String wireName) {
        this.wireName = wireName;
    }

    /** The OpenAI API's {@code finish_reason} value ({@code cancelled} is this server's own, for metering). */
    public String wireName() {
        return wireName;
    }
}
