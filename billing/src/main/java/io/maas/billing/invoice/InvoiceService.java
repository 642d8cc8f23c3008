package io.maas.billing.invoice;

import java.time.Instant;
import java.util.List;

import javax.sql.DataSource;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;

import io.maas.billing.Jdbc;
import io.maas.billing.rating.BillingPeriod;

/** Invoices and provider statements for the admin API; each call is one transaction. */
@ApplicationScoped
public class InvoiceService {
    /** Bound on invoices one list or finalize-due call handles. */
    public static final int MAX_LIMIT = 1_000;

    @Inject
    DataSource dataSource;

    @Transactional
    public List<Invoicing.Summary> list(String tenantId, BillingPeriod period, String status, int limit) {
        return Jdbc.inTransaction(dataSource, c -> Invoicing.summaries(c, tenantId, period, status,
                Math.max(1, Math.min(limit, MAX_LIMIT))));
    }

    @Transactional
    public Invoice view(String tenantId, BillingPeriod period) {
        return Jdbc.inTransaction(dataSource, c -> Invoicing.view(c, tenantId, period));
    }

    @Transactional
    public Invoice finalizeInvoice(String tenantId, BillingPeriod period, Instant now) {
        return Jdbc.inTransaction(dataSource, c -> Invoicing.finalizeInvoice(c, tenantId, period, now));
    }

    /**
     * Finalizes the drafts of every period that ended by {@code now}, at most {@link #MAX_LIMIT} per call; waits
     * while another instance's scheduled run holds the finalize-due lock.
     */
    @Transactional
    public List<Invoice> finalizeDue(Instant now) {
        return Jdbc.inTransaction(dataSource, c -> Invoicing.finalizeDue(c, now, MAX_LIMIT));
    }

    /**
     * One batch of the scheduled finalization, in its own transaction: up to {@code limit} drafts of periods that
     * ended by {@code endedBy}; does nothing ({@code busy}) when another instance is finalizing at this moment.
     */
    @Transactional
    public Invoicing.DueRun finalizeDueBatch(Instant endedBy, Instant now, int limit) {
        return Jdbc.inTransaction(dataSource, c -> Invoicing.finalizeDue(c, endedBy, now,
                Math.max(1, Math.min(limit, MAX_LIMIT)), false));
    }

    /** The statement of one provider (or every provider when null) for a period: usage lines, balances, payouts. */
    @Transactional
    public ProviderStatements.Statement providerStatement(String providerId, BillingPeriod period) {
        return Jdbc.inTransaction(dataSource, c -> ProviderStatements.statement(c, providerId, period));
    }

    /** The invoice as CSV: one row per line, then the total; amounts in micros and in minor units (cents). */
    public static String csv(Invoice invoice) {
        StringBuilder out = new StringBuilder("invoice,tenant,period,status,line,kind,description,base_model,adapter,"
                + "reservation,tokens,amount_micros,amount_minor,adjustment\n");
        String head = cell(invoice.number() == null ? invoice.id().toString() : invoice.number()) + ","
                + cell(invoice.tenantId()) + "," + invoice.period() + "," + invoice.status() + ",";
        for (InvoiceLine l : invoice.lines()) {
            out.append(head).append(l.lineNo()).append(',').append(l.kind()).append(',').append(cell(l.description()))
                    .append(',').append(cell(l.baseModel())).append(',').append(cell(l.adapter())).append(',')
                    .append(cell(l.reservationId())).append(',').append(l.tokens()).append(',')
                    .append(l.amountMicros()).append(',').append(l.amountMinor()).append(',').append(l.adjustment())
                    .append('\n');
        }
        out.append(head).append(",TOTAL,,,,,,").append(invoice.totalMicros()).append(',').append(invoice.totalMinor())
                .append(",\n");
        return out.toString();
    }

    private static String cell(String value) {
        if (value == null) {
            return "";
        }
        boolean quote = value.contains(",") || value.contains("\"") || value.contains("\n");
        return quote ? "\"" + value.replace("\"", "\"\"") + "\"" : value;
    }
}
