package io.maas.billing.ledger;

import java.sql.Connection;
import java.sql.Date;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.util.List;

import io.maas.billing.rating.BillingPeriod;

/** Appends transactions to {@code ledger_transactions}/{@code ledger_entries}; the tables refuse updates. */
public final class LedgerRepository {
    private LedgerRepository() {
    }

    public static Date periodDate(BillingPeriod period) {
        return Date.valueOf(period.month().atDay(1));
    }

    public static void append(Connection c, List<LedgerTransaction> transactions) throws SQLException {
        if (transactions.isEmpty()) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement("""
                insert into ledger_transactions (id, kind, tenant_id, provider_id, usage_event_id, reservation_id,
                    period_start, invoice_period_start, occurred_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?)""")) {
            for (LedgerTransaction t : transactions) {
                ps.setObject(1, t.id());
                ps.setString(2, t.kind());
                ps.setString(3, t.tenantId());
                ps.setString(4, t.providerId());
                ps.setObject(5, t.usageEventId());
                ps.setString(6, t.reservationId());
                ps.setDate(7, periodDate(t.period()));
                if (t.invoicePeriod() == null) {
                    ps.setNull(8, Types.DATE);
                } else {
                    ps.setDate(8, periodDate(t.invoicePeriod()));
                }
                ps.setTimestamp(9, Timestamp.from(t.occurredAt()));
                ps.addBatch();
            }
            ps.executeBatch();
        }
        try (PreparedStatement ps = c.prepareStatement("""
                insert into ledger_entries (transaction_id, account, debit_micros, credit_micros, usage_event_id,
                    charge_kind, base_model, adapter, reservation_id, tokens) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""")) {
            for (LedgerTransaction t : transactions) {
                for (LedgerEntry e : t.entries()) {
                    ps.setObject(1, t.id());
                    ps.setString(2, e.account());
                    ps.setLong(3, e.debitMicros());
                    ps.setLong(4, e.creditMicros());
                    ps.setObject(5, t.usageEventId());
                    ps.setString(6, e.chargeKind());
                    ps.setString(7, e.baseModel());
                    ps.setString(8, e.adapter());
                    ps.setString(9, e.reservationId());
                    ps.setLong(10, e.tokens());
                    ps.addBatch();
                }
            }
            ps.executeBatch();
        }
    }
}
