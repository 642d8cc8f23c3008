package io.maas.gateway.openai;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/** A {@code chat.completion.chunk} of a streamed chat completion. */
public record ChatCompletionChunk(
        String id,
        String object,
        long created,
        String model,
        List<Choice> choices,
        @JsonInclude(JsonInclude.Include.NON_NULL) Usage usage,
        @JsonProperty("system_fingerprint") String systemFingerprint) {

    public static final String OBJECT = "chat.completion.chunk";

    /** The delta of one choice. */
    public record Choice(int index, Delta delta, ChatLogprobs logprobs,
            @JsonProperty("finish_reason") String finishReason) {
    }

    /** New text (and the role, on the first chunk). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Delta(String role, String content) {
    }
}
