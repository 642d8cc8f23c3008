package io.maas.billing.rating;

import java.util.Set;

/**
 * Which requests a reservation covers. A narrower scope is more specific and wins when several active
 * reservations cover the same request: a set of adapters beats a base model, which beats everything.
 */
public sealed interface ReservationScope {
    int SPECIFICITY_EVERYTHING = 0;
    int SPECIFICITY_BASE_MODEL = 1;
    int SPECIFICITY_ADAPTERS = 2;

    boolean covers(ModelRef model);

    /** Higher is narrower; see the constants. */
    int specificity();

    static ReservationScope everything() {
        return new Everything();
    }

    static ReservationScope baseModel(String baseModel) {
        return new BaseModel(baseModel);
    }

    static ReservationScope adapters(Set<ModelRef> adapters) {
        return new Adapters(adapters);
    }

    /** Every request of the tenant, on any base model or adapter. */
    record Everything() implements ReservationScope {
        @Override
        public boolean covers(ModelRef model) {
            return true;
        }

        @Override
        public int specificity() {
            return SPECIFICITY_EVERYTHING;
        }
    }

    /**
     * Requests on one base model, bare or with any adapter on it: adapters run on the base model's capacity,
     * which is what the reservation reserves.
     */
    record BaseModel(String baseModel) implements ReservationScope {
        public BaseModel {
            Check.notBlank(baseModel, "scope baseModel");
        }

        @Override
        public boolean covers(ModelRef model) {
            return model.baseModel().equals(baseModel);
        }

        @Override
        public int specificity() {
            return SPECIFICITY_BASE_MODEL;
        }
    }

    /** Requests on any adapter of a set (each with its base); the bare base models are not covered. */
    record Adapters(Set<ModelRef> adapters) implements ReservationScope {
        public Adapters {
            Check.notNull(adapters, "scope adapters").forEach(adapter -> {
                Check.notNull(adapter, "scope adapter");
                Check.that(adapter.isAdapter(), "an adapter scope lists adapters, not the bare base " + adapter);
            });
            Check.that(!adapters.isEmpty(), "an adapter scope lists at least one adapter");
            adapters = Set.copyOf(adapters);
        }

        @Override
        public boolean covers(ModelRef model) {
            return adapters.contains(model);
        }

        @Override
        public int specificity() {
            return SPECIFICITY_ADAPTERS;
        }
    }
}
