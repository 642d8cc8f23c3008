package io.maas.gateway.openai;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;

/** Body of {@code POST /v1/embeddings}: {@code input} is a string or a list of strings. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record EmbeddingRequest(
        String model,
        JsonNode input,
        @JsonProperty("encoding_format") String encodingFormat,
        Integer dimensions,
        String user) {
}
