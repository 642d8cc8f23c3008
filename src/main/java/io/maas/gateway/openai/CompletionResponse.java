package io.maas.gateway.openai;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonProperty;

/** A {@code text_completion} object. */
public record CompletionResponse(
        String id,
        String object,
        long created,
        String model,
        List<Choice> choices,
        Usage usage) {

    public static final String OBJECT = "text_completion";

    /** One generated alternative. */
    public record Choice(
            String text,
            int index,
            Object logprobs,
            @JsonProperty("finish_reason") String finishReason) {
    }
}
