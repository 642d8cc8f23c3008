package io.maas.billing.rating;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Currency;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Every price entry of one currency, looked up by model and instant. Lookup is by the usage's own time, so
 * an entry added later with a later effective instant can never change what earlier usage is rated at.
 */
public final class PriceBook {
    private final Currency currency;
    private final List<PriceEntry> entries;
    private final Map<ModelRef, NavigableMap<Instant, PriceEntry>> byModel = new HashMap<>();

    /** Entries may come in any order; two for the same model and instant are ambiguous and refused. */
    public PriceBook(Currency currency, List<PriceEntry> entries) {
        this.currency = Check.notNull(currency, "currency");
        Check.notNull(entries, "entries").forEach(entry -> Check.notNull(entry, "price entry"));
        this.entries = List.copyOf(entries);
        for (PriceEntry entry : this.entries) {
            PriceEntry clash = byModel.computeIfAbsent(entry.model(), model -> new TreeMap<>())
                    .putIfAbsent(entry.effectiveFrom(), entry);
            Check.that(clash == null, "two prices for " + entry.model() + " take effect at " + entry.effectiveFrom());
        }
    }

    public Currency currency() {
        return currency;
    }

    public List<PriceEntry> entries() {
        return entries;
    }

    /**
     * The price to rate usage of {@code model} at {@code at}: the adapter's own entry in force then, else its
     * base model's entry in force then. An adapter entry that only takes effect later does not hide the
     * base price before it.
     *
     * @throws NoPriceException when neither is in force
     */
    public PriceEntry entryFor(ModelRef model, Instant at) {
        Optional<PriceEntry> own = entryInForce(model, at);
        if (own.isPresent()) {
            return own.get();
        }
        if (model.isAdapter()) {
            Optional<PriceEntry> base = entryInForce(model.baseOnly(), at);
            if (base.isPresent()) {
                return base.get();
            }
        }
        throw new NoPriceException(model, at);
    }

    /** The entry of exactly this model with the latest effective instant at or before {@code at}. */
    public Optional<PriceEntry> entryInForce(ModelRef model, Instant at) {
        NavigableMap<Instant, PriceEntry> history = byModel.get(model);
        if (history == null) {
            return Optional.empty();
        }
        return Optional.ofNullable(history.floorEntry(at)).map(Map.Entry::getValue);
    }

    /**
     * This book plus a new entry. A price may only take effect from {@code now} on: one back-dated into the
     * past would change the rating of usage already rated (and perhaps invoiced) at the old price.
     */
    public PriceBook withEntry(PriceEntry entry, Instant now) {
        Check.notNull(entry, "entry");
        Check.that(!entry.effectiveFrom().isBefore(now),
                "a price for " + entry.model() + " cannot take effect in the past (" + entry.effectiveFrom()
                        + " is before " + now + ")");
        List<PriceEntry> next = new ArrayList<>(entries);
        next.add(entry);
        return new PriceBook(currency, next);
    }
}
