package io.maas.billing.payout;

import java.time.Instant;
import java.util.List;

import javax.sql.DataSource;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;

import io.maas.billing.Jdbc;
import io.maas.billing.rating.BillingPeriod;

/** Provider payouts for the admin API; each call is one transaction. */
@ApplicationScoped
public class PayoutService {
    /** Bound on payouts one list call returns. */
    public static final int MAX_LIMIT = 1_000;

    @Inject
    DataSource dataSource;

    @Transactional
    public Payouts.Recorded record(String id, String providerId, BillingPeriod period, long amountMicros,
            String reference, Instant now) {
        return Jdbc.inTransaction(dataSource, c -> Payouts.record(c, id, providerId, period, amountMicros, reference,
                now));
    }

    @Transactional
    public List<Payout> list(String providerId, BillingPeriod period, int limit) {
        return Jdbc.inTransaction(dataSource, c -> Payouts.list(c, providerId, period,
                Math.max(1, Math.min(limit, MAX_LIMIT))));
    }
}
