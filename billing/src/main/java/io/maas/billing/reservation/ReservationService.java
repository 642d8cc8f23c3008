package io.maas.billing.reservation;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import javax.sql.DataSource;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;

import io.maas.billing.BillingException;
import io.maas.billing.Jdbc;
import io.maas.billing.rating.BillingPeriod;
import io.maas.billing.rating.Reservation;

/** Reservations for the admin API: create, cancel (never into the past), list with the current period's burn-down. */
@ApplicationScoped
public class ReservationService {
    @Inject
    DataSource dataSource;

    /** A reservation and its state in {@code period}: prorated fee and allowance, drawn so far, left. */
    public record BurnDown(Reservation reservation, BillingPeriod period, long feeMicros, long allowanceTokens,
            long allowanceUsedTokens, long allowanceRemainingTokens) {
    }

    @Transactional
    public BurnDown create(Reservation reservation, Instant now) {
        return Jdbc.inTransaction(dataSource, c -> {
            BillingPeriod first = BillingPeriod.containing(reservation.startsAt());
            if (ReservationRepository.hasFinalizedInvoiceFrom(c, reservation.tenantId(), first)) {
                // Its fee for that month could never be invoiced, and usage there is already billed.
                throw new BillingException(BillingException.Kind.CONFLICT, "reservation " + reservation.id()
                        + " would start in " + first + ", but " + reservation.tenantId()
                        + " already has a finalized invoice for that month or later", "starts_at");
            }
            ReservationRepository.insert(c, reservation);
            return burnDown(reservation, BillingPeriod.containing(now), Map.of());
        });
    }

    /**
     * Ends a reservation at {@code endsAt} (exclusive), which may not lie before {@code now}: usage already rated
     * against it keeps its rating, and the fee and allowance of the last month are prorated to the end.
     */
    @Transactional
    public BurnDown cancel(String id, Instant endsAt, Instant now) {
        return Jdbc.inTransaction(dataSource, c -> {
            Reservation r = ReservationRepository.find(c, id, true).orElseThrow(
                    () -> new BillingException(BillingException.Kind.NOT_FOUND, "no reservation " + id, "id"));
            if (r.endsAt() != null) {
                throw new BillingException(BillingException.Kind.CONFLICT, "reservation " + id + " already ends at "
                        + r.endsAt(), "id");
            }
            if (endsAt.isBefore(now)) {
                throw new BillingException(BillingException.Kind.INVALID, "a reservation cannot be cancelled in the past ("
                        + endsAt + " is before " + now + ")", "ends_at");
            }
            Reservation ended = r.endingAt(endsAt);
            ReservationRepository.setEnd(c, id, endsAt, now);
            BillingPeriod period = BillingPeriod.containing(now);
            return burnDown(ended, period, ReservationRepository.allowanceUsage(c, period));
        });
    }

    /** Reservations (of {@code tenantId}, or all when null) with their burn-down in the period of {@code at}. */
    @Transactional
    public List<BurnDown> list(String tenantId, Instant at) {
        return Jdbc.inTransaction(dataSource, c -> {
            BillingPeriod period = BillingPeriod.containing(at);
            Map<String, Long> used = ReservationRepository.allowanceUsage(c, period);
            List<BurnDown> out = new ArrayList<>();
            for (Reservation r : ReservationRepository.list(c, tenantId)) {
                out.add(burnDown(r, period, used));
            }
            return out;
        });
    }

    private static BurnDown burnDown(Reservation r, BillingPeriod period, Map<String, Long> used) {
        long allowance = r.allowanceTokensFor(period);
        long drawn = used.getOrDefault(r.id(), 0L);
        return new BurnDown(r, period, r.feeMicrosFor(period), allowance, drawn, Math.max(0, allowance - drawn));
    }
}
