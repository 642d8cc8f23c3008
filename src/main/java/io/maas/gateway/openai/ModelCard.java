package io.maas.gateway.openai;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/** A {@code model} object of {@code GET /v1/models}; adapters name their base in {@code parent}. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ModelCard(
        String id,
        String object,
        long created,
        @JsonProperty("owned_by") String ownedBy,
        String parent) {
}
