package io.maas.inference.engine;

import java.util.List;

/** Gets a completion's text deltas as soon as they are safe to send, and can cancel it; runs on the caller's thread. */
public interface GenerationListener {

    /** Ignores the text and never cancels. */
    GenerationListener NONE = (text, logprobs) -> {
    };

    /**
     * Text that is final: complete characters that can no longer turn out to be part of a stop string. The deltas
     * concatenate to the result's text exactly. {@code logprobs} holds the tokens consumed since the previous call
     * (empty unless requested); a call may carry only logprobs (empty text), never neither.
     */
    void onDelta(String text, List<TokenLogprob> logprobs);

    /**
     * Asked before every forward step (each prompt chunk and each new token), before queueing for a compute slot;
     * once true, generation ends without that step, with {@link FinishReason#CANCELLED}. Keep it cheap.
     */
    default boolean isCancelled() {
        return false;
    }
}
