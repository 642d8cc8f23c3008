package io.maas.gateway.openai;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;

/** Body of {@code POST /v1/completions}; fields this server does not know are ignored, as OpenAI does. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record CompletionRequest(
        String model,
        JsonNode prompt,
        @JsonProperty("max_tokens") Integer maxTokens,
        Boolean stream,
        String user) {
}
