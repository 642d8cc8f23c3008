package io.maas.billing.ledger;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.UUID;

import io.maas.billing.rating.BillingPeriod;

/**
 * Which invoice a posting of a tenant's period lands on: that period's, unless it is finalized; then the first
 * later period whose invoice is still a draft (an adjustment there). The invoice row is created as a draft if
 * missing and read {@code for share}, so finalizing (which locks it {@code for update}) waits for this
 * transaction, and a posting never lands on an invoice that finalized meanwhile.
 */
public final class InvoiceTarget {
    /** A period is finalized only after it ended, so the search ends at the current month; this bounds it anyway. */
    private static final int MAX_PERIODS_AHEAD = 240;

    private InvoiceTarget() {
    }

    public static BillingPeriod openInvoicePeriod(Connection c, String tenantId, BillingPeriod period) throws SQLException {
        BillingPeriod p = period;
        for (int i = 0; i < MAX_PERIODS_AHEAD; i++) {
            ensureDraft(c, tenantId, p);
            try (PreparedStatement ps = c.prepareStatement(
                    "select status from invoices where tenant_id = ? and period_start = ? for share")) {
                ps.setString(1, tenantId);
                ps.setDate(2, LedgerRepository.periodDate(p));
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if ("draft".equals(rs.getString(1))) {
                        return p;
                    }
                }
            }
            p = BillingPeriod.of(p.month().plusMonths(1));
        }
        throw new IllegalStateException("no draft invoice for " + tenantId + " within " + MAX_PERIODS_AHEAD
                + " months after " + period);
    }

    /** The id of a tenant's invoice for a period, the same wherever it is created first. */
    public static UUID invoiceId(String tenantId, BillingPeriod period) {
        return UUID.nameUUIDFromBytes(("invoice:" + tenantId + ":" + period).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** Creates the tenant's draft invoice for {@code period} unless one exists. */
    public static void ensureDraft(Connection c, String tenantId, BillingPeriod period) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                insert into invoices (id, tenant_id, period_start, status) values (?, ?, ?, 'draft')
                on conflict (tenant_id, period_start) do nothing""")) {
            ps.setObject(1, invoiceId(tenantId, period));
            ps.setString(2, tenantId);
            ps.setDate(3, LedgerRepository.periodDate(period));
            ps.executeUpdate();
        }
    }
}
