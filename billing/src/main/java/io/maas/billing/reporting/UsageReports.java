package io.maas.billing.reporting;

import java.sql.Connection;
import java.sql.Date;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;

import javax.sql.DataSource;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;

import io.maas.billing.Jdbc;
import io.maas.billing.ledger.LedgerAccounts;
import io.maas.billing.ledger.LedgerRepository;
import io.maas.billing.rating.BillingPeriod;
import io.maas.billing.rating.ChargeKind;

/**
 * Read-only aggregates for the billing console: token counts from the usage rollups, money from the ledger.
 * Nothing here rates or posts; it sums what the consumer already wrote, so the figures are as fresh as the
 * rollups and the ledger (the consumer updates both in the transaction that stores an event).
 */
@ApplicationScoped
public class UsageReports {
    /** Bound on rows any ranking returns. */
    public static final int MAX_ROWS = 500;

    @Inject
    DataSource dataSource;

    /** Requests, tokens, what tenants were charged for usage and the platform's part of it, over a time range. */
    public record Totals(long requests, long tokens, long chargedMicros, long platformMicros) {
    }

    /** One tenant, model or adapter in a ranking. {@code key} is the tenant id, or {@code base} / {@code base:adapter}. */
    public record Ranked(String key, String baseModel, String adapter, long requests, long tokens, long tenants,
            long chargedMicros) {
    }

    /** Tokens of one day for one model ({@code base} or {@code base:adapter}). */
    public record DailyTokens(LocalDate day, String model, long requests, long tokens) {
    }

    /** Reservation allowance drawn on one day (tokens rated as RESERVATION_INCLUDED). */
    public record DailyDraw(LocalDate day, long tokens) {
    }

    /** Usage and charges over [from, to): rollup hours starting in it, ledger usage that occurred in it. */
    @Transactional
    public Totals totals(Instant from, Instant to) {
        return Jdbc.inTransaction(dataSource, c -> {
            long requests = 0;
            long tokens = 0;
            try (PreparedStatement ps = c.prepareStatement("""
                    select coalesce(sum(requests), 0), coalesce(sum(tokens_prompt + tokens_completion), 0)
                    from usage_rollups_hourly where hour >= ? and hour < ?""")) {
                ps.setTimestamp(1, Timestamp.from(from));
                ps.setTimestamp(2, Timestamp.from(to));
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    requests = rs.getLong(1);
                    tokens = rs.getLong(2);
                }
            }
            try (PreparedStatement ps = c.prepareStatement("""
                    select coalesce(sum(case when e.account like 'tenant:%' then e.debit_micros else 0 end), 0),
                           coalesce(sum(case when e.account = ? then e.credit_micros else 0 end), 0)
                    from ledger_transactions t join ledger_entries e on e.transaction_id = t.id
                    where t.kind = 'usage' and t.occurred_at >= ? and t.occurred_at < ?""")) {
                ps.setString(1, LedgerAccounts.PLATFORM_REVENUE);
                ps.setTimestamp(2, Timestamp.from(from));
                ps.setTimestamp(3, Timestamp.from(to));
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return new Totals(requests, tokens, rs.getLong(1), rs.getLong(2));
                }
            }
        });
    }

    /** Tenants over [from, to), most charged first (then most tokens). */
    @Transactional
    public List<Ranked> topTenants(Instant from, Instant to, int limit) {
        return Jdbc.inTransaction(dataSource, c -> ranked(c, """
                with u as (select tenant_id k, sum(requests) r, sum(tokens_prompt + tokens_completion) tk
                           from usage_rollups_hourly where hour >= ? and hour < ? group by tenant_id),
                     b as (select t.tenant_id k, sum(e.debit_micros) m
                           from ledger_transactions t join ledger_entries e on e.transaction_id = t.id
                           where t.kind = 'usage' and e.account like 'tenant:%' and t.occurred_at >= ? and t.occurred_at < ?
                           group by t.tenant_id)
                select coalesce(u.k, b.k), null, null, coalesce(u.r, 0), coalesce(u.tk, 0), 1, coalesce(b.m, 0)
                from u full join b on b.k = u.k order by 7 desc, 5 desc, 1 limit ?""", from, to, limit));
    }

    /**
     * Base models and adapters over [from, to) (of one tenant, or all when {@code tenantId} is null): requests,
     * tokens, how many distinct tenants used each, and the tenants' charges. {@code adaptersOnly} keeps adapters.
     */
    @Transactional
    public List<Ranked> models(Instant from, Instant to, String tenantId, boolean adaptersOnly, int limit) {
        String tenantU = tenantId == null ? "" : " and tenant_id = ?";
        String tenantB = tenantId == null ? "" : " and t.tenant_id = ?";
        String sql = """
                with u as (select base_model bm, adapter ad, sum(requests) r, sum(tokens_prompt + tokens_completion) tk,
                                  count(distinct tenant_id) n
                           from usage_rollups_hourly where hour >= ? and hour < ?%s group by base_model, adapter),
                     b as (select e.base_model bm, coalesce(e.adapter, '') ad, sum(e.debit_micros) m
                           from ledger_transactions t join ledger_entries e on e.transaction_id = t.id
                           where t.kind = 'usage' and e.account like 'tenant:%%' and t.occurred_at >= ? and t.occurred_at < ?%s
                           group by e.base_model, coalesce(e.adapter, ''))
                select case when u.ad = '' then u.bm else u.bm || ':' || u.ad end, u.bm, nullif(u.ad, ''),
                       u.r, u.tk, u.n, coalesce(b.m, 0)
                from u left join b on b.bm = u.bm and b.ad = u.ad%s
                order by 5 desc, 1 limit ?""".formatted(tenantU, tenantB, adaptersOnly ? " where u.ad <> ''" : "");
        return Jdbc.inTransaction(dataSource, c -> {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                int i = 1;
                ps.setTimestamp(i++, Timestamp.from(from));
                ps.setTimestamp(i++, Timestamp.from(to));
                if (tenantId != null) {
                    ps.setString(i++, tenantId);
                }
                ps.setTimestamp(i++, Timestamp.from(from));
                ps.setTimestamp(i++, Timestamp.from(to));
                if (tenantId != null) {
                    ps.setString(i++, tenantId);
                }
                ps.setInt(i, bound(limit));
                return read(ps);
            }
        });
    }

    /** Tokens per day and model for [fromDay, toDay) (of one tenant, or all when null), from the daily rollups. */
    @Transactional
    public List<DailyTokens> daily(String tenantId, LocalDate fromDay, LocalDate toDay) {
        String sql = """
                select day, case when adapter = '' then base_model else base_model || ':' || adapter end,
                       sum(requests), sum(tokens_prompt + tokens_completion)
                from usage_rollups_daily where day >= ? and day < ?%s group by 1, 2 order by 1, 2"""
                .formatted(tenantId == null ? "" : " and tenant_id = ?");
        return Jdbc.inTransaction(dataSource, c -> {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                ps.setDate(1, Date.valueOf(fromDay));
                ps.setDate(2, Date.valueOf(toDay));
                if (tenantId != null) {
                    ps.setString(3, tenantId);
                }
                List<DailyTokens> out = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new DailyTokens(rs.getDate(1).toLocalDate(), rs.getString(2), rs.getLong(3),
                                rs.getLong(4)));
                    }
                }
                return out;
            }
        });
    }

    /** Allowance of a reservation drawn per day (UTC) in {@code period}, from its included usage in the ledger. */
    @Transactional
    public List<DailyDraw> allowanceDraws(String reservationId, BillingPeriod period) {
        return Jdbc.inTransaction(dataSource, c -> {
            try (PreparedStatement ps = c.prepareStatement("""
                    select (t.occurred_at at time zone 'UTC')::date, sum(e.tokens)
                    from ledger_transactions t join ledger_entries e on e.transaction_id = t.id
                    where t.kind = 'usage' and t.period_start = ? and e.reservation_id = ? and e.charge_kind = ?
                      and e.account like 'tenant:%'
                    group by 1 order by 1""")) {
                ps.setDate(1, LedgerRepository.periodDate(period));
                ps.setString(2, reservationId);
                ps.setString(3, ChargeKind.RESERVATION_INCLUDED.name());
                List<DailyDraw> out = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new DailyDraw(rs.getDate(1).toLocalDate(), rs.getLong(2)));
                    }
                }
                return out;
            }
        });
    }

    private static List<Ranked> ranked(Connection c, String sql, Instant from, Instant to, int limit)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setTimestamp(1, Timestamp.from(from));
            ps.setTimestamp(2, Timestamp.from(to));
            ps.setTimestamp(3, Timestamp.from(from));
            ps.setTimestamp(4, Timestamp.from(to));
            ps.setInt(5, bound(limit));
            return read(ps);
        }
    }

    private static List<Ranked> read(PreparedStatement ps) throws SQLException {
        List<Ranked> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(new Ranked(rs.getString(1), rs.getString(2), rs.getString(3), rs.getLong(4), rs.getLong(5),
                        rs.getLong(6), rs.getLong(7)));
            }
        }
        return out;
    }

    private static int bound(int limit) {
        return Math.max(1, Math.min(limit, MAX_ROWS));
    }
}
