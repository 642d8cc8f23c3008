package io.maas.gateway.openai;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/** A {@code text_completion} object; streamed chunks have the same shape (usage only on the last, if asked). */
public record CompletionResponse(
        String id,
        String object,
        long created,
        String model,
        List<Choice> choices,
        @JsonInclude(JsonInclude.Include.NON_NULL) Usage usage) {

    public static final String OBJECT = "text_completion";

    /** One generated alternative. */
    public record Choice(
            String text,
            int index,
            CompletionLogprobs logprobs,
            @JsonProperty("finish_reason") String finishReason) {
    }
}
