package io.maas.catalog;

import io.maas.gateway.api.OpenAiException;

/**
 * A publication refused by one named rule: {@code code} is the rule's stable id (e.g. {@code archive_path_traversal}),
 * answered as an OpenAI error object (422 unless the rule says otherwise).
 */
public class CatalogRejection extends OpenAiException {
    public CatalogRejection(String rule, String message) {
        this(422, rule, message);
    }

    public CatalogRejection(int status, String rule, String message) {
        super(status, INVALID_REQUEST, message, null, rule);
    }

    /** The stable id of the rule that failed. */
    public String rule() {
        return code();
    }
}
