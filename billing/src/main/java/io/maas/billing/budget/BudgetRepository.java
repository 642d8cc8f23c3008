package io.maas.billing.budget;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import io.maas.billing.ledger.LedgerAccounts;
import io.maas.billing.ledger.LedgerRepository;
import io.maas.billing.rating.BillingPeriod;
import io.maas.billing.rating.Reservation;
import io.maas.billing.reservation.ReservationRepository;

/** Budgets, their alerts, and a tenant's month-to-date charges, on the caller's connection. */
public final class BudgetRepository {
    private BudgetRepository() {
    }

    /** An alert recorded when month-to-date charges first reached a threshold in a period. */
    public record Alert(String tenantId, BillingPeriod period, int thresholdPct, long monthToDateMicros,
            long budgetMicros, Instant raisedAt) {
    }

    public static void upsert(Connection c, Budget b) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                insert into tenant_budgets (tenant_id, monthly_budget_micros, alert_thresholds_pct, hard_limit)
                values (?, ?, ?, ?) on conflict (tenant_id) do update set
                    monthly_budget_micros = excluded.monthly_budget_micros,
                    alert_thresholds_pct = excluded.alert_thresholds_pct, hard_limit = excluded.hard_limit,
                    updated_at = now()""")) {
            ps.setString(1, b.tenantId());
            ps.setLong(2, b.monthlyBudgetMicros());
            ps.setArray(3, c.createArrayOf("int4", b.alertThresholdsPct().toArray()));
            ps.setBoolean(4, b.hardLimit());
            ps.executeUpdate();
        }
    }

    public static Optional<Budget> find(Connection c, String tenantId) throws SQLException {
        List<Budget> found = query(c, " where tenant_id = ?", tenantId);
        return found.stream().findFirst();
    }

    /** Of these tenants, those with a budget that has alert thresholds: the only ones alerts can be raised for. */
    public static java.util.Set<String> withAlertThresholds(Connection c, List<String> tenantIds) throws SQLException {
        java.util.Set<String> out = new java.util.HashSet<>();
        for (Budget b : query(c, " where tenant_id = any(?)", c.createArrayOf("varchar", tenantIds.toArray()))) {
            if (!b.alertThresholdsPct().isEmpty()) {
                out.add(b.tenantId());
            }
        }
        return out;
    }

    public static List<Budget> list(Connection c) throws SQLException {
        return query(c, " order by tenant_id");
    }

    private static List<Budget> query(Connection c, String where, Object... params) throws SQLException {
        List<Budget> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("select tenant_id, monthly_budget_micros, alert_thresholds_pct,"
                + " hard_limit from tenant_budgets" + where)) {
            for (int i = 0; i < params.length; i++) {
                ps.setObject(i + 1, params[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Integer[] pct = (Integer[]) rs.getArray(3).getArray();
                    out.add(new Budget(rs.getString(1), rs.getLong(2), Arrays.asList(pct), rs.getBoolean(4)));
                }
            }
        }
        return out;
    }

    /**
     * What the tenant has been charged for {@code period} so far: its usage posted to the ledger for the month
     * (wherever it is invoiced) plus the month's prorated reservation fees (posted only at finalization).
     */
    public static long monthToDateMicros(Connection c, String tenantId, BillingPeriod period) throws SQLException {
        long usage;
        try (PreparedStatement ps = c.prepareStatement("""
                select coalesce(sum(e.debit_micros), 0) from ledger_entries e
                join ledger_transactions t on t.id = e.transaction_id
                where t.tenant_id = ? and t.period_start = ? and t.kind = 'usage' and e.account = ?""")) {
            ps.setString(1, tenantId);
            ps.setDate(2, LedgerRepository.periodDate(period));
            ps.setString(3, LedgerAccounts.tenantReceivable(tenantId));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                usage = rs.getLong(1);
            }
        }
        long fees = 0;
        for (Reservation r : ReservationRepository.overlapping(c, tenantId, period)) {
            fees = Math.addExact(fees, r.feeMicrosFor(period));
        }
        return Math.addExact(usage, fees);
    }

    /**
     * Records the alerts the tenant's month-to-date charges have reached in {@code period} and not yet raised
     * (each threshold once per period). Returns the alerts raised now.
     */
    public static List<Alert> raiseAlerts(Connection c, String tenantId, BillingPeriod period) throws SQLException {
        Optional<Budget> budget = find(c, tenantId);
        if (budget.isEmpty() || budget.get().alertThresholdsPct().isEmpty()) {
            return List.of();
        }
        long mtd = monthToDateMicros(c, tenantId, period);
        List<Alert> raised = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("""
                insert into budget_alerts (tenant_id, period_start, threshold_pct, month_to_date_micros, budget_micros)
                values (?, ?, ?, ?, ?) on conflict do nothing returning raised_at""")) {
            for (int pct : budget.get().alertThresholdsPct()) {
                if (!budget.get().reached(mtd, pct)) {
                    continue;
                }
                ps.setString(1, tenantId);
                ps.setDate(2, LedgerRepository.periodDate(period));
                ps.setInt(3, pct);
                ps.setLong(4, mtd);
                ps.setLong(5, budget.get().monthlyBudgetMicros());
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        raised.add(new Alert(tenantId, period, pct, mtd, budget.get().monthlyBudgetMicros(),
                                rs.getTimestamp(1).toInstant()));
                    }
                }
            }
        }
        return raised;
    }

    /** Alerts, newest first, of one tenant or all (null), at most {@code limit}. */
    public static List<Alert> alerts(Connection c, String tenantId, int limit) throws SQLException {
        List<Alert> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("select tenant_id, period_start, threshold_pct,"
                + " month_to_date_micros, budget_micros, raised_at from budget_alerts"
                + (tenantId == null ? "" : " where tenant_id = ?") + " order by raised_at desc, tenant_id,"
                + " threshold_pct limit ?")) {
            int i = 1;
            if (tenantId != null) {
                ps.setString(i++, tenantId);
            }
            ps.setInt(i, limit);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Timestamp t = rs.getTimestamp(6);
                    out.add(new Alert(rs.getString(1), BillingPeriod.of(java.time.YearMonth.from(
                            rs.getDate(2).toLocalDate())), rs.getInt(3), rs.getLong(4), rs.getLong(5), t.toInstant()));
                }
            }
        }
        return out;
    }

    /** Whether the tenant has a hard limit and its month-to-date charges reached its budget. */
    public static boolean isOverHardLimit(Connection c, String tenantId, BillingPeriod period) throws SQLException {
        Optional<Budget> budget = find(c, tenantId);
        if (budget.isEmpty() || !budget.get().hardLimit()) {
            return false;
        }
        return budget.get().reached(monthToDateMicros(c, tenantId, period), 100);
    }
}
