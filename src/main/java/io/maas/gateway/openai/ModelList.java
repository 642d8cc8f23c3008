package io.maas.gateway.openai;

import java.util.List;

/** The {@code list} object of {@code GET /v1/models}. */
public record ModelList(String object, List<ModelCard> data) {
    public static ModelList of(List<ModelCard> data) {
        return new ModelList("list", data);
    }
}
