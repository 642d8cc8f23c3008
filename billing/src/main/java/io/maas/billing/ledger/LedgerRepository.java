package io.maas.billing.ledger;

import java.sql.Connection;
import java.sql.Date;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import java.util.UUID;

import io.maas.billing.rating.BillingPeriod;

/** Appends transactions to {@code ledger_transactions}/{@code ledger_entries}; the tables refuse updates. */
public final class LedgerRepository {
    private LedgerRepository() {
    }

    public static Date periodDate(BillingPeriod period) {
        return Date.valueOf(period.month().atDay(1));
    }

    /**
     * Appends the transactions and their entries: one statement per table ({@code unnest} of arrays), whatever the
     * count, because the billing consumer posts up to a whole Kafka batch (thousands of events) at once.
     */
    public static void append(Connection c, List<LedgerTransaction> transactions) throws SQLException {
        if (transactions.isEmpty()) {
            return;
        }
        int n = transactions.size();
        UUID[] ids = new UUID[n];
        String[] kinds = new String[n];
        String[] tenants = new String[n];
        String[] providers = new String[n];
        UUID[] eventIds = new UUID[n];
        String[] reservations = new String[n];
        String[] periods = new String[n];
        String[] invoicePeriods = new String[n];
        String[] occurred = new String[n];
        int entryCount = 0;
        for (int i = 0; i < n; i++) {
            LedgerTransaction t = transactions.get(i);
            ids[i] = t.id();
            kinds[i] = t.kind();
            tenants[i] = t.tenantId();
            providers[i] = t.providerId();
            eventIds[i] = t.usageEventId();
            reservations[i] = t.reservationId();
            periods[i] = periodDate(t.period()).toString();
            invoicePeriods[i] = t.invoicePeriod() == null ? null : periodDate(t.invoicePeriod()).toString();
            occurred[i] = t.occurredAt().toString();
            entryCount += t.entries().size();
        }
        try (PreparedStatement ps = c.prepareStatement("""
                insert into ledger_transactions (id, kind, tenant_id, provider_id, usage_event_id, reservation_id,
                    period_start, invoice_period_start, occurred_at)
                select * from unnest(?::uuid[], ?::varchar[], ?::varchar[], ?::text[], ?::uuid[], ?::varchar[],
                    ?::date[], ?::date[], ?::timestamptz[])""")) {
            bind(c, ps, new Object[][] {ids, kinds, tenants, providers, eventIds, reservations, periods, invoicePeriods,
                    occurred}, new String[] {"uuid", "varchar", "varchar", "text", "uuid", "varchar", "text", "text",
                    "text"});
            ps.executeUpdate();
        }
        UUID[] txIds = new UUID[entryCount];
        String[] accounts = new String[entryCount];
        Long[] debits = new Long[entryCount];
        Long[] credits = new Long[entryCount];
        UUID[] entryEventIds = new UUID[entryCount];
        String[] chargeKinds = new String[entryCount];
        String[] baseModels = new String[entryCount];
        String[] adapters = new String[entryCount];
        String[] entryReservations = new String[entryCount];
        Long[] tokens = new Long[entryCount];
        int i = 0;
        for (LedgerTransaction t : transactions) {
            for (LedgerEntry e : t.entries()) {
                txIds[i] = t.id();
                accounts[i] = e.account();
                debits[i] = e.debitMicros();
                credits[i] = e.creditMicros();
                entryEventIds[i] = t.usageEventId();
                chargeKinds[i] = e.chargeKind();
                baseModels[i] = e.baseModel();
                adapters[i] = e.adapter();
                entryReservations[i] = e.reservationId();
                tokens[i] = e.tokens();
                i++;
            }
        }
        if (entryCount == 0) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement("""
                insert into ledger_entries (transaction_id, account, debit_micros, credit_micros, usage_event_id,
                    charge_kind, base_model, adapter, reservation_id, tokens)
                select * from unnest(?::uuid[], ?::varchar[], ?::bigint[], ?::bigint[], ?::uuid[], ?::varchar[],
                    ?::text[], ?::text[], ?::varchar[], ?::bigint[])""")) {
            bind(c, ps, new Object[][] {txIds, accounts, debits, credits, entryEventIds, chargeKinds, baseModels,
                    adapters, entryReservations, tokens}, new String[] {"uuid", "varchar", "int8", "int8", "uuid",
                    "varchar", "text", "text", "varchar", "int8"});
            ps.executeUpdate();
        }
    }

    private static void bind(Connection c, PreparedStatement ps, Object[][] columns, String[] types)
            throws SQLException {
        for (int col = 0; col < columns.length; col++) {
            ps.setArray(col + 1, c.createArrayOf(types[col], columns[col]));
        }
    }
}
