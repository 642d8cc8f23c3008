package io.maas.gateway.openai;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonProperty;

/** The {@code list} of {@code embedding} objects; {@code embedding} is a float array or a base64 string. */
public record EmbeddingResponse(String object, List<Data> data, String model, EmbeddingUsage usage) {

    /** One input's vector, in input order. */
    public record Data(String object, int index, Object embedding) {
    }

    /** Embeddings count input tokens only. */
    public record EmbeddingUsage(@JsonProperty("prompt_tokens") int promptTokens,
            @JsonProperty("total_tokens") int totalTokens) {
    }
}
