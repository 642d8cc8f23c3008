package io.maas.billing.budget;

import java.sql.Connection;
import java.sql.Date;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import io.maas.billing.BillingException;
import io.maas.billing.rating.BillingPeriod;

/**
 * Monthly token quotas per tenant, on the caller's connection. The tokens used are read from the daily usage
 * rollups (prompt + completion of every request stored this UTC month), which the consumer maintains in the
 * transaction that stores the events: as current as the billing pipeline, and one indexed range per tenant.
 */
public final class TokenQuotas {
    private TokenQuotas() {
    }

    /** A tenant's quota and its tokens used in the period. */
    public record Quota(String tenantId, long monthlyTokens, long usedTokens) {
        public boolean reached() {
            return usedTokens >= monthlyTokens;
        }
    }

    public static void set(Connection c, String tenantId, long monthlyTokens) throws SQLException {
        if (tenantId == null || tenantId.isBlank()) {
            throw new BillingException(BillingException.Kind.INVALID, "a quota needs a tenant", "tenant");
        }
        if (monthlyTokens <= 0) {
            throw new BillingException(BillingException.Kind.INVALID, "monthly_tokens must be > 0", "monthly_tokens");
        }
        try (PreparedStatement ps = c.prepareStatement("""
                insert into tenant_token_quotas (tenant_id, monthly_tokens) values (?, ?)
                on conflict (tenant_id) do update set monthly_tokens = excluded.monthly_tokens, updated_at = now()""")) {
            ps.setString(1, tenantId);
            ps.setLong(2, monthlyTokens);
            ps.executeUpdate();
        }
    }

    /** The tenant's quota with its usage in {@code period}; empty when it has none. */
    public static Optional<Quota> find(Connection c, String tenantId, BillingPeriod period) throws SQLException {
        List<Quota> found = query(c, tenantId, period);
        return found.isEmpty() ? Optional.empty() : Optional.of(found.get(0));
    }

    /** Every quota with its usage in {@code period}, by tenant. */
    public static List<Quota> list(Connection c, BillingPeriod period) throws SQLException {
        return query(c, null, period);
    }

    private static List<Quota> query(Connection c, String tenantId, BillingPeriod period) throws SQLException {
        List<Quota> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("""
                select q.tenant_id, q.monthly_tokens,
                    (select coalesce(sum(r.tokens_prompt + r.tokens_completion), 0) from usage_rollups_daily r
                     where r.tenant_id = q.tenant_id and r.day >= ? and r.day < ?)
                from tenant_token_quotas q""" + (tenantId == null ? " order by q.tenant_id" : " where q.tenant_id = ?"))) {
            ps.setDate(1, Date.valueOf(period.month().atDay(1)));
            ps.setDate(2, Date.valueOf(period.month().plusMonths(1).atDay(1)));
            if (tenantId != null) {
                ps.setString(3, tenantId);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Quota(rs.getString(1), rs.getLong(2), rs.getLong(3)));
                }
            }
        }
        return out;
    }
}
