package io.maas.billing.rating;

/**
 * What a request ran: a base model, optionally with a LoRA adapter on it. The key of price book entries,
 * reservation scopes and provider shares. An adapter is keyed together with its base because the gateway
 * addresses adapters as {@code base:adapter} and one adapter id may exist for several bases.
 */
public record ModelRef(String baseModel, String adapter) {

    public ModelRef {
        Check.notBlank(baseModel, "baseModel");
        // null means "the bare base"; an empty string would be a second spelling of that, so it is refused.
        Check.that(adapter == null || !adapter.isBlank(), "adapter must be null or not blank");
    }

    public static ModelRef base(String baseModel) {
        return new ModelRef(baseModel, null);
    }

    public static ModelRef adapter(String baseModel, String adapter) {
        return new ModelRef(baseModel, Check.notBlank(adapter, "adapter"));
    }

    public boolean isAdapter() {
        return adapter != null;
    }

    /** The bare base this request ran on: where an adapter without a price of its own takes its price from. */
    public ModelRef baseOnly() {
        return base(baseModel);
    }

    @Override
    public String toString() {
        return isAdapter() ? baseModel + ":" + adapter : baseModel;
    }
}
