package io.maas.billing.invoice;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

import io.maas.billing.ledger.LedgerRepository;
import io.maas.billing.payout.Payout;
import io.maas.billing.payout.Payouts;
import io.maas.billing.rating.BillingPeriod;

/** Provider statements from the ledger: per provider and adapter, the usage of a period and what it earned. */
public final class ProviderStatements {
    private ProviderStatements() {
    }

    /**
     * One adapter's period: tokens used on it, the tenants' charges for them, and the provider's part
     * (credited to its payable account).
     */
    public record Line(String providerId, String baseModel, String adapter, long tokens, long chargedMicros,
            long earnedMicros) {
    }

    /** A provider's money for a period: earned (payable credits), paid out (payable debits), what is still owed. */
    public record Balance(String providerId, long earnedMicros, long paidOutMicros, long balanceMicros,
            List<Payout> payouts) {
    }

    /** A statement: the usage lines per adapter and each provider's balance with its payouts. */
    public record Statement(BillingPeriod period, List<Line> lines, List<Balance> balances) {
    }

    /** The statement of one provider, or of every provider when {@code providerId} is null, for {@code period}. */
    public static Statement statement(Connection c, String providerId, BillingPeriod period) throws SQLException {
        List<Balance> balances = new ArrayList<>();
        // The payable account is spelled as LedgerAccounts.providerPayable spells it.
        String sql = """
                select t.provider_id, coalesce(sum(e.credit_micros), 0), coalesce(sum(e.debit_micros), 0)
                from ledger_entries e join ledger_transactions t on t.id = e.transaction_id
                where t.period_start = ? and t.provider_id is not null
                    and e.account = 'provider:' || t.provider_id || ':payable'"""
                + (providerId == null ? "" : " and t.provider_id = ?") + """

                group by t.provider_id order by t.provider_id""";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setDate(1, LedgerRepository.periodDate(period));
            if (providerId != null) {
                ps.setString(2, providerId);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    long earned = rs.getLong(2);
                    long paid = rs.getLong(3);
                    balances.add(new Balance(rs.getString(1), earned, paid, earned - paid, List.of()));
                }
            }
        }
        List<Balance> withPayouts = new ArrayList<>();
        for (Balance b : balances) {
            withPayouts.add(new Balance(b.providerId(), b.earnedMicros(), b.paidOutMicros(), b.balanceMicros(),
                    Payouts.list(c, b.providerId(), period, MAX_PAYOUTS_SHOWN)));
        }
        return new Statement(period, forPeriod(c, providerId, period), withPayouts);
    }

    /** Bound on payouts listed per provider on one statement. */
    public static final int MAX_PAYOUTS_SHOWN = 1_000;

    /** The usage lines of one provider, or of every provider when {@code providerId} is null, for {@code period}. */
    public static List<Line> forPeriod(Connection c, String providerId, BillingPeriod period) throws SQLException {
        // The payable account is spelled as LedgerAccounts.providerPayable spells it.
        String sql = """
                select t.provider_id, e.base_model, e.adapter,
                    sum(case when e.account like 'tenant:%' then e.tokens else 0 end),
                    sum(case when e.account like 'tenant:%' then e.debit_micros else 0 end),
                    sum(case when e.account = 'provider:' || t.provider_id || ':payable' then e.credit_micros else 0 end)
                from ledger_entries e join ledger_transactions t on t.id = e.transaction_id
                where t.kind = 'usage' and t.period_start = ? and t.provider_id is not null and e.adapter is not null"""
                + (providerId == null ? "" : " and t.provider_id = ?") + """

                group by t.provider_id, e.base_model, e.adapter order by t.provider_id, e.base_model, e.adapter""";
        List<Line> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setDate(1, LedgerRepository.periodDate(period));
            if (providerId != null) {
                ps.setString(2, providerId);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Line(rs.getString(1), rs.getString(2), rs.getString(3), rs.getLong(4), rs.getLong(5),
                            rs.getLong(6)));
                }
            }
        }
        return out;
    }
}
