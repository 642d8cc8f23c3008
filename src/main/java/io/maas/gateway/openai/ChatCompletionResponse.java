package io.maas.gateway.openai;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/** A {@code chat.completion} object. */
public record ChatCompletionResponse(
        String id,
        String object,
        long created,
        String model,
        List<Choice> choices,
        Usage usage,
        @JsonProperty("system_fingerprint") String systemFingerprint) {

    public static final String OBJECT = "chat.completion";

    /** One generated alternative. */
    public record Choice(int index, Message message, ChatLogprobs logprobs,
            @JsonProperty("finish_reason") String finishReason) {
    }

    /** The assistant's message. */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Message(String role, String content, Object refusal) {
    }
}
