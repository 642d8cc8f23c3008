package io.maas.billing.reservation;

import java.sql.Array;
import java.sql.Connection;
import java.sql.Date;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Currency;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import io.maas.billing.pricebook.PriceBookRepository;
import io.maas.billing.rating.BillingPeriod;
import io.maas.billing.rating.ModelRef;
import io.maas.billing.rating.Reservation;
import io.maas.billing.rating.ReservationScope;

/**
 * Reservations ({@code reservations}) and the allowance they have given out per period
 * ({@code reservation_allowance_usage}) on the caller's connection, mapped to the rating core's values.
 */
public final class ReservationRepository {
    private static final String COLUMNS = """
            id, tenant_id, scope_kind, scope_base_model, scope_adapters, currency, fee_monthly_micros,
            allowance_monthly_tokens, overage_micros_per_token, starts_at, ends_at""";

    private ReservationRepository() {
    }

    public static void insert(Connection c, Reservation r) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("insert into reservations (" + COLUMNS
                + ") values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            ps.setString(1, r.id());
            ps.setString(2, r.tenantId());
            if (r.scope() instanceof ReservationScope.BaseModel b) {
                ps.setString(3, "base_model");
                ps.setString(4, b.baseModel());
                ps.setNull(5, java.sql.Types.ARRAY);
            } else if (r.scope() instanceof ReservationScope.Adapters a) {
                ps.setString(3, "adapters");
                ps.setNull(4, java.sql.Types.VARCHAR);
                ps.setArray(5, c.createArrayOf("text", a.adapters().stream().map(ModelRef::toString).sorted().toArray()));
            } else {
                ps.setString(3, "everything");
                ps.setNull(4, java.sql.Types.VARCHAR);
                ps.setNull(5, java.sql.Types.ARRAY);
            }
            ps.setString(6, r.currency().getCurrencyCode());
            ps.setLong(7, r.feeMonthlyMicros());
            ps.setLong(8, r.allowanceMonthlyTokens());
            ps.setBigDecimal(9, r.overageMicrosPerToken());
            ps.setTimestamp(10, Timestamp.from(r.startsAt()));
            ps.setTimestamp(11, r.endsAt() == null ? null : Timestamp.from(r.endsAt()));
            ps.executeUpdate();
        }
    }

    /** Whether the tenant has a finalized invoice for {@code period} or a later one. */
    public static boolean hasFinalizedInvoiceFrom(Connection c, String tenantId, BillingPeriod period) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select exists (select 1 from invoices where tenant_id = ?"
                + " and period_start >= ? and status = 'finalized')")) {
            ps.setString(1, tenantId);
            ps.setDate(2, Date.valueOf(period.month().atDay(1)));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    /** Sets the end of a reservation (its cancellation); locks the row. */
    public static void setEnd(Connection c, String id, Instant endsAt, Instant cancelledAt) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "update reservations set ends_at = ?, cancelled_at = ? where id = ?")) {
            ps.setTimestamp(1, Timestamp.from(endsAt));
            ps.setTimestamp(2, Timestamp.from(cancelledAt));
            ps.setString(3, id);
            ps.executeUpdate();
        }
    }

    public static Optional<Reservation> find(Connection c, String id, boolean forUpdate) throws SQLException {
        List<Reservation> found = query(c, "select " + COLUMNS + " from reservations where id = ?"
                + (forUpdate ? " for update" : ""), id);
        return found.stream().findFirst();
    }

    /** A tenant's reservations (all, or only {@code tenantId}'s when not null), by start. */
    public static List<Reservation> list(Connection c, String tenantId) throws SQLException {
        return tenantId == null
                ? query(c, "select " + COLUMNS + " from reservations order by starts_at, id")
                : query(c, "select " + COLUMNS + " from reservations where tenant_id = ? order by starts_at, id", tenantId);
    }

    /** The tenant's reservations active at some instant of {@code period}. */
    public static List<Reservation> overlapping(Connection c, String tenantId, BillingPeriod period) throws SQLException {
        return query(c, "select " + COLUMNS + " from reservations where tenant_id = ? and starts_at < ?"
                + " and (ends_at is null or ends_at > ?) order by starts_at, id",
                tenantId, Timestamp.from(period.end()), Timestamp.from(period.start()));
    }

    /** As {@link #overlapping}, for several tenants in one query (the billing consumer rates a batch at once). */
    public static List<Reservation> overlappingForTenants(Connection c, List<String> tenantIds, BillingPeriod period)
            throws SQLException {
        return query(c, "select " + COLUMNS + " from reservations where tenant_id = any(?) and starts_at < ?"
                + " and (ends_at is null or ends_at > ?) order by tenant_id, starts_at, id",
                c.createArrayOf("varchar", tenantIds.toArray()), Timestamp.from(period.end()),
                Timestamp.from(period.start()));
    }

    /** Every reservation active at some instant of {@code period}, any tenant. */
    public static List<Reservation> overlappingAll(Connection c, BillingPeriod period) throws SQLException {
        return query(c, "select " + COLUMNS + " from reservations where starts_at < ?"
                + " and (ends_at is null or ends_at > ?) order by tenant_id, starts_at, id",
                Timestamp.from(period.end()), Timestamp.from(period.start()));
    }

    /**
     * The allowance used so far per reservation in {@code period}, with each row locked ({@code for update})
     * until the caller's transaction ends; missing rows are created at 0 first so there is a row to lock.
     */
    public static Map<String, Long> lockAllowanceUsage(Connection c, List<String> reservationIds, BillingPeriod period)
            throws SQLException {
        Map<String, Long> used = new HashMap<>();
        if (reservationIds.isEmpty()) {
            return used;
        }
        Array ids = c.createArrayOf("varchar", reservationIds.toArray());
        try (PreparedStatement ps = c.prepareStatement("""
                insert into reservation_allowance_usage (reservation_id, period_start, allowance_used_tokens)
                select id, ?, 0 from unnest(?::varchar[]) as id on conflict do nothing""")) {
            ps.setDate(1, Date.valueOf(period.month().atDay(1)));
            ps.setArray(2, ids);
            ps.executeUpdate();
        }
        try (PreparedStatement ps = c.prepareStatement("""
                select reservation_id, allowance_used_tokens from reservation_allowance_usage
                where period_start = ? and reservation_id = any(?::varchar[]) order by reservation_id for update""")) {
            ps.setDate(1, Date.valueOf(period.month().atDay(1)));
            ps.setArray(2, ids);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    used.put(rs.getString(1), rs.getLong(2));
                }
            }
        }
        return used;
    }

    /** Allowance used per reservation in {@code period}, without locking (for burn-down views). */
    public static Map<String, Long> allowanceUsage(Connection c, BillingPeriod period) throws SQLException {
        Map<String, Long> used = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement(
                "select reservation_id, allowance_used_tokens from reservation_allowance_usage where period_start = ?")) {
            ps.setDate(1, Date.valueOf(period.month().atDay(1)));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    used.put(rs.getString(1), rs.getLong(2));
                }
            }
        }
        return used;
    }

    public static void saveAllowanceUsage(Connection c, String reservationId, BillingPeriod period, long usedTokens)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                update reservation_allowance_usage set allowance_used_tokens = ?
                where reservation_id = ? and period_start = ?""")) {
            ps.setLong(1, usedTokens);
            ps.setString(2, reservationId);
            ps.setDate(3, Date.valueOf(period.month().atDay(1)));
            if (ps.executeUpdate() != 1) {
                throw new IllegalStateException("no locked allowance row for " + reservationId + " in " + period);
            }
        }
    }

    private static List<Reservation> query(Connection c, String sql, Object... params) throws SQLException {
        List<Reservation> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                ps.setObject(i + 1, params[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(map(rs));
                }
            }
        }
        return out;
    }

    private static Reservation map(ResultSet rs) throws SQLException {
        String id = rs.getString(1);
        ReservationScope scope = switch (rs.getString(3)) {
            case "everything" -> ReservationScope.everything();
            case "base_model" -> ReservationScope.baseModel(rs.getString(4));
            case "adapters" -> {
                Set<ModelRef> adapters = new HashSet<>();
                for (String s : (String[]) rs.getArray(5).getArray()) {
                    int colon = s.indexOf(':');
                    adapters.add(ModelRef.adapter(s.substring(0, colon), s.substring(colon + 1)));
                }
                yield ReservationScope.adapters(adapters);
            }
            default -> throw new IllegalStateException("reservation " + id + " has unknown scope " + rs.getString(3));
        };
        Timestamp ends = rs.getTimestamp(11);
        return new Reservation(id, rs.getString(2), scope, Currency.getInstance(rs.getString(6).trim()), rs.getLong(7),
                rs.getLong(8), PriceBookRepository.plain(rs.getBigDecimal(9)), rs.getTimestamp(10).toInstant(),
                ends == null ? null : ends.toInstant());
    }
}
