package io.maas.billing.invoice;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

import io.maas.billing.ledger.LedgerRepository;
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

    /** The statement of one provider, or of every provider when {@code providerId} is null, for {@code period}. */
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
