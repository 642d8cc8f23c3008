package io.maas.billing.ledger;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
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

    /**
     * As {@link #openInvoicePeriod} for several tenants' postings of one period, in two statements when all their
     * invoices are drafts (the usual case); a tenant whose invoice is finalized takes the one-by-one search.
     */
    public static java.util.Map<String, BillingPeriod> openInvoicePeriods(Connection c, java.util.Collection<String> tenants,
            BillingPeriod period) throws SQLException {
        List<String> sorted = new java.util.ArrayList<>(new java.util.TreeSet<>(tenants));
        UUID[] ids = new UUID[sorted.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = invoiceId(sorted.get(i), period);
        }
        try (PreparedStatement ps = c.prepareStatement("""
                insert into invoices (id, tenant_id, period_start, status)
                select x.id, x.tenant_id, ?, 'draft' from unnest(?::uuid[], ?::varchar[]) as x(id, tenant_id)
                order by x.tenant_id on conflict (tenant_id, period_start) do nothing""")) {
            ps.setDate(1, LedgerRepository.periodDate(period));
            ps.setArray(2, c.createArrayOf("uuid", ids));
            ps.setArray(3, c.createArrayOf("varchar", sorted.toArray()));
            ps.executeUpdate();
        }
        java.util.Map<String, BillingPeriod> open = new java.util.HashMap<>();
        try (PreparedStatement ps = c.prepareStatement("""
                select tenant_id, status from invoices where period_start = ? and tenant_id = any(?::varchar[])
                order by tenant_id for share""")) {
            ps.setDate(1, LedgerRepository.periodDate(period));
            ps.setArray(2, c.createArrayOf("varchar", sorted.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    if ("draft".equals(rs.getString(2))) {
                        open.put(rs.getString(1), period);
                    }
                }
            }
        }
        for (String tenant : sorted) {
            if (!open.containsKey(tenant)) {
                open.put(tenant, openInvoicePeriod(c, tenant, period));
            }
        }
        return open;
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
