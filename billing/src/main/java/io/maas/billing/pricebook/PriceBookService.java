package io.maas.billing.pricebook;

import java.time.Instant;
import java.util.List;

import javax.sql.DataSource;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;

import io.maas.billing.BillingException;
import io.maas.billing.Jdbc;
import io.maas.billing.ledger.UnratedUsageRepository;
import io.maas.billing.ledger.UsagePoster;
import io.maas.billing.rating.MarketplaceShare;
import io.maas.billing.rating.ModelRef;
import io.maas.billing.rating.PriceEntry;

/**
 * The price book and provider shares for the admin API. A new price may take effect in the past only when no
 * usage of its model was rated from that instant on (so it prices only what was unrated, never re-prices);
 * unrated usage is rated again in the same transaction.
 */
@ApplicationScoped
public class PriceBookService {
    /** Most unrated events re-rated when a price is added; the rest wait for the next retry. */
    public static final int UNRATED_RETRY_MAX = 10_000;

    @Inject
    DataSource dataSource;

    /** The created entry and what re-rating the unrated usage did. */
    public record Created(PriceBookRepository.StoredPrice price, UsagePoster.Outcome rerated) {
    }

    @Transactional
    public Created create(PriceEntry entry, Instant now) {
        return Jdbc.inTransaction(dataSource, c -> {
            if (entry.effectiveFrom().isBefore(now) && PriceBookRepository.hasRatedUsageSince(c, entry.model(),
                    entry.effectiveFrom())) {
                throw new BillingException(BillingException.Kind.CONFLICT, "a price for " + entry.model()
                        + " cannot take effect at " + entry.effectiveFrom()
                        + ": usage from then on is already rated, and a price never rewrites the past", "effective_from");
            }
            long id = PriceBookRepository.insert(c, entry);
            UsagePoster.Outcome rerated = UsagePoster.retryUnrated(c, UNRATED_RETRY_MAX);
            PriceBookRepository.StoredPrice stored = PriceBookRepository.list(c).stream().filter(p -> p.id() == id)
                    .findFirst().orElseThrow();
            return new Created(stored, rerated);
        });
    }

    @Transactional
    public List<PriceBookRepository.StoredPrice> list() {
        return Jdbc.inTransaction(dataSource, PriceBookRepository::list);
    }

    @Transactional
    public MarketplaceShare shares() {
        return Jdbc.inTransaction(dataSource, ProviderShareRepository::load);
    }

    /** Sets an adapter's provider share, or the default when {@code adapter} is null; applies to usage rated from now. */
    @Transactional
    public MarketplaceShare setShare(ModelRef adapter, int providerShareBps) {
        return Jdbc.inTransaction(dataSource, c -> {
            ProviderShareRepository.set(c, adapter, providerShareBps);
            return ProviderShareRepository.load(c);
        });
    }

    /** Unrated usage, oldest first, at most {@code limit}. */
    @Transactional
    public List<UnratedUsageRepository.Unrated> unrated(int limit) {
        return Jdbc.inTransaction(dataSource, c -> UnratedUsageRepository.list(c, Math.max(1, Math.min(limit, UNRATED_RETRY_MAX))));
    }

    /** Rates unrated usage again (after a fix elsewhere, e.g. a provider now named); bounded per call. */
    @Transactional
    public UsagePoster.Outcome retryUnrated() {
        return Jdbc.inTransaction(dataSource, c -> UsagePoster.retryUnrated(c, UNRATED_RETRY_MAX));
    }
}
