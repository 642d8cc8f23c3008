package io.maas.billing.rating;

import java.time.Instant;

/**
 * No price book entry was in force for a model (or its adapter, or the adapter's base) at the usage's
 * time. Rating refuses rather than guessing a price: an unpriced usage is an operator error to fix.
 */
public final class NoPriceException extends RatingException {
    private final ModelRef model;
    private final Instant at;

    public NoPriceException(ModelRef model, Instant at) {
        super("no price in force for " + model + " at " + at
                + (model.isAdapter() ? " (neither for the adapter nor for its base model " + model.baseModel() + ")" : ""));
        this.model = model;
        this.at = at;
    }

    public ModelRef model() {
        return model;
    }

    public Instant at() {
        return at;
    }
}
