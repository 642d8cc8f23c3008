package io.maas.billing.invoice;

import java.sql.Connection;
import java.sql.Date;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.YearMonth;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import io.maas.billing.ledger.InvoiceTarget;
import io.maas.billing.ledger.LedgerAccounts;
import io.maas.billing.ledger.LedgerEntry;
import io.maas.billing.ledger.LedgerRepository;
import io.maas.billing.ledger.LedgerTransaction;
import io.maas.billing.pricebook.PriceBookRepository;
import io.maas.billing.rating.BillingPeriod;
import io.maas.billing.rating.InvoiceRounding;
import io.maas.billing.rating.Reservation;
import io.maas.billing.reservation.ReservationRepository;

/**
 * Invoices from the ledger, on the caller's connection. A draft is computed when read: the usage posted to the
 * tenant's receivable for that invoice period (including adjustments for late usage of earlier, finalized
 * periods), plus the prorated fees of its reservations. Finalizing posts those fees to the ledger, stores
 * the lines and totals, numbers the invoice, and from then on the database refuses any change to it.
 */
public final class Invoicing {
    public static final String RESERVATION_FEE = "RESERVATION_FEE";

    private Invoicing() {
    }

    private record Header(UUID id, String status, String number, Long totalMicros, Long totalMinor, Instant finalizedAt) {
    }

    /** The tenant's invoice for {@code period}: stored if finalized, else the live draft. */
    public static Invoice view(Connection c, String tenantId, BillingPeriod period) throws SQLException {
        Optional<Header> header = header(c, tenantId, period, false);
        if (header.isPresent() && Invoice.FINALIZED.equals(header.get().status())) {
            return stored(c, tenantId, period, header.get());
        }
        UUID id = header.map(Header::id).orElse(InvoiceTarget.invoiceId(tenantId, period));
        List<Draft> drafts = new ArrayList<>(feeDrafts(c, tenantId, period));
        drafts.addAll(ledgerDrafts(c, tenantId, period));
        return assemble(id, tenantId, period, Invoice.DRAFT, null, drafts, null);
    }

    /**
     * Finalizes the tenant's invoice for {@code period}, which must have ended by {@code now}: posts the
     * reservation fees, stores lines and totals and numbers the invoice. Refused when already finalized.
     */
    public static Invoice finalizeInvoice(Connection c, String tenantId, BillingPeriod period, Instant now)
            throws SQLException {
        if (now.isBefore(period.end())) {
            throw new InvoiceException("the invoice of " + tenantId + " for " + period + " can be finalized only after "
                    + period.end());
        }
        InvoiceTarget.ensureDraft(c, tenantId, period);
        Header header = header(c, tenantId, period, true).orElseThrow();
        if (Invoice.FINALIZED.equals(header.status())) {
            throw new InvoiceException("invoice " + header.number() + " of " + tenantId + " for " + period
                    + " is already finalized");
        }
        List<LedgerTransaction> fees = new ArrayList<>();
        for (Reservation r : ReservationRepository.overlapping(c, tenantId, period)) {
            long fee = r.feeMicrosFor(period);
            if (fee == 0) {
                continue;
            }
            fees.add(new LedgerTransaction(UUID.nameUUIDFromBytes(("fee:" + r.id() + ":" + period).getBytes()),
                    LedgerTransaction.RESERVATION_FEE, tenantId, null, null, r.id(), period, period, period.start(),
                    List.of(LedgerEntry.debit(LedgerAccounts.tenantReceivable(tenantId), fee, RESERVATION_FEE, null,
                                    null, r.id(), 0),
                            LedgerEntry.credit(LedgerAccounts.PLATFORM_REVENUE, fee, RESERVATION_FEE, null, null,
                                    r.id(), 0))));
        }
        LedgerRepository.append(c, fees);
        String number = "INV-" + period + "-" + String.format("%06d", nextNumber(c));
        Invoice invoice = assemble(header.id(), tenantId, period, Invoice.FINALIZED, number,
                ledgerDrafts(c, tenantId, period), now);
        try (PreparedStatement ps = c.prepareStatement("""
                insert into invoice_lines (invoice_id, line_no, kind, description, base_model, adapter, reservation_id,
                    tokens, amount_micros, amount_minor, adjustment) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""")) {
            for (InvoiceLine line : invoice.lines()) {
                ps.setObject(1, invoice.id());
                ps.setInt(2, line.lineNo());
                ps.setString(3, line.kind());
                ps.setString(4, line.description());
                ps.setString(5, line.baseModel());
                ps.setString(6, line.adapter());
                ps.setString(7, line.reservationId());
                ps.setLong(8, line.tokens());
                ps.setLong(9, line.amountMicros());
                ps.setLong(10, line.amountMinor());
                ps.setBoolean(11, line.adjustment());
                ps.addBatch();
            }
            ps.executeBatch();
        }
        try (PreparedStatement ps = c.prepareStatement("""
                update invoices set status = 'finalized', number = ?, total_micros = ?, total_minor = ?, finalized_at = ?
                where id = ?""")) {
            ps.setString(1, number);
            ps.setLong(2, invoice.totalMicros());
            ps.setLong(3, invoice.totalMinor());
            ps.setTimestamp(4, Timestamp.from(now));
            ps.setObject(5, invoice.id());
            ps.executeUpdate();
        }
        return invoice;
    }

    /**
     * Finalizes every invoice of periods that ended by {@code now} (at most {@code limit}), creating the drafts of
     * tenants whose only charge is a reservation fee first. Returns the invoices finalized.
     */
    public static List<Invoice> finalizeDue(Connection c, Instant now, int limit) throws SQLException {
        BillingPeriod last = BillingPeriod.of(BillingPeriod.containing(now).month().minusMonths(1));
        for (Reservation r : ReservationRepository.overlappingAll(c, last)) {
            InvoiceTarget.ensureDraft(c, r.tenantId(), last);
        }
        List<Invoice> done = new ArrayList<>();
        List<ListedHeader> due = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("""
                select tenant_id, period_start from invoices where status = 'draft' and period_start <= ?
                order by period_start, tenant_id limit ?""")) {
            ps.setDate(1, LedgerRepository.periodDate(last));
            ps.setInt(2, limit);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    due.add(new ListedHeader(null, rs.getString(1), periodOf(rs.getDate(2)), null, null, null, null));
                }
            }
        }
        for (ListedHeader h : due) {
            done.add(finalizeInvoice(c, h.tenantId(), h.period(), now));
        }
        return done;
    }

    /** One row of an invoice listing. */
    public record Summary(UUID id, String tenantId, BillingPeriod period, String status, String number,
            Long totalMinor, Instant finalizedAt) {
    }

    private record ListedHeader(UUID id, String tenantId, BillingPeriod period, String status, String number,
            Long totalMinor, Instant finalizedAt) {
    }

    /** Invoices (stored rows; drafts show no total until read) filtered by tenant, period and status, oldest first. */
    public static List<Summary> summaries(Connection c, String tenantId, BillingPeriod period, String status, int limit)
            throws SQLException {
        List<Summary> out = new ArrayList<>();
        for (ListedHeader h : list(c, tenantId, period, status, limit)) {
            out.add(new Summary(h.id, h.tenantId, h.period, h.status, h.number, h.totalMinor, h.finalizedAt));
        }
        return out;
    }

    private static List<ListedHeader> list(Connection c, String tenantId, BillingPeriod period, String status, int limit)
            throws SQLException {
        StringBuilder sql = new StringBuilder("select id, tenant_id, period_start, status, number, total_minor,"
                + " finalized_at from invoices where true");
        List<Object> params = new ArrayList<>();
        if (tenantId != null) {
            sql.append(" and tenant_id = ?");
            params.add(tenantId);
        }
        if (period != null) {
            sql.append(" and period_start = ?");
            params.add(LedgerRepository.periodDate(period));
        }
        if (status != null) {
            sql.append(" and status = ?");
            params.add(status);
        }
        sql.append(" order by period_start, tenant_id limit ?");
        params.add(limit);
        List<ListedHeader> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
            for (int i = 0; i < params.size(); i++) {
                ps.setObject(i + 1, params.get(i));
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Timestamp finalized = rs.getTimestamp(7);
                    out.add(new ListedHeader(rs.getObject(1, UUID.class), rs.getString(2), periodOf(rs.getDate(3)),
                            rs.getString(4), rs.getString(5), (Long) rs.getObject(6),
                            finalized == null ? null : finalized.toInstant()));
                }
            }
        }
        return out;
    }

    private static BillingPeriod periodOf(Date date) {
        return BillingPeriod.of(YearMonth.from(date.toLocalDate()));
    }

    private static long nextNumber(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select nextval('invoice_number_seq')");
                ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static Optional<Header> header(Connection c, String tenantId, BillingPeriod period, boolean lock)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select id, status, number, total_micros, total_minor,"
                + " finalized_at from invoices where tenant_id = ? and period_start = ?" + (lock ? " for update" : ""))) {
            ps.setString(1, tenantId);
            ps.setDate(2, LedgerRepository.periodDate(period));
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                Timestamp finalized = rs.getTimestamp(6);
                return Optional.of(new Header(rs.getObject(1, UUID.class), rs.getString(2), rs.getString(3),
                        (Long) rs.getObject(4), (Long) rs.getObject(5), finalized == null ? null : finalized.toInstant()));
            }
        }
    }

    private static Invoice stored(Connection c, String tenantId, BillingPeriod period, Header h) throws SQLException {
        List<InvoiceLine> lines = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("""
                select line_no, kind, description, base_model, adapter, reservation_id, tokens, amount_micros,
                    amount_minor, adjustment from invoice_lines where invoice_id = ? order by line_no""")) {
            ps.setObject(1, h.id());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    lines.add(new InvoiceLine(rs.getInt(1), rs.getString(2), rs.getString(3), rs.getString(4),
                            rs.getString(5), rs.getString(6), rs.getLong(7), rs.getLong(8), rs.getLong(9),
                            rs.getBoolean(10)));
                }
            }
        }
        return new Invoice(h.id(), tenantId, period, PriceBookRepository.CURRENCY.getCurrencyCode(), h.status(),
                h.number(), lines, h.totalMicros(), h.totalMinor(), h.finalizedAt());
    }

    /** A line before rounding and numbering. */
    private record Draft(String kind, String baseModel, String adapter, String reservationId, long tokens,
            long amountMicros, BillingPeriod usagePeriod, boolean adjustment) {
    }

    /** Fees of the tenant's reservations in {@code period}, as they will be posted at finalization. */
    private static List<Draft> feeDrafts(Connection c, String tenantId, BillingPeriod period) throws SQLException {
        List<Draft> out = new ArrayList<>();
        for (Reservation r : ReservationRepository.overlapping(c, tenantId, period)) {
            long fee = r.feeMicrosFor(period);
            if (fee != 0) {
                out.add(new Draft(RESERVATION_FEE, null, null, r.id(), 0, fee, period, false));
            }
        }
        return out;
    }

    /** What the ledger bills on this invoice: receivable debits grouped by origin period, kind, model, reservation. */
    private static List<Draft> ledgerDrafts(Connection c, String tenantId, BillingPeriod period) throws SQLException {
        List<Draft> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("""
                select t.period_start, e.charge_kind, e.base_model, e.adapter, e.reservation_id,
                    sum(e.tokens), sum(e.debit_micros)
                from ledger_entries e join ledger_transactions t on t.id = e.transaction_id
                where t.tenant_id = ? and t.invoice_period_start = ? and e.account = ? and e.debit_micros >= 0
                    and e.credit_micros = 0
                group by t.period_start, e.charge_kind, e.base_model, e.adapter, e.reservation_id
                order by t.period_start, (e.charge_kind <> 'RESERVATION_FEE'), e.reservation_id nulls last,
                    e.base_model, e.adapter nulls first, e.charge_kind""")) {
            ps.setString(1, tenantId);
            ps.setDate(2, LedgerRepository.periodDate(period));
            ps.setString(3, LedgerAccounts.tenantReceivable(tenantId));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    BillingPeriod usagePeriod = periodOf(rs.getDate(1));
                    out.add(new Draft(rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                            rs.getLong(6), rs.getLong(7), usagePeriod, !usagePeriod.equals(period)));
                }
            }
        }
        return out;
    }

    private static Invoice assemble(UUID id, String tenantId, BillingPeriod period, String status, String number,
            List<Draft> drafts, Instant finalizedAt) {
        // Fees first, then usage, adjustments last: the order a reader checks an invoice in.
        List<Draft> ordered = new ArrayList<>();
        drafts.stream().filter(d -> !d.adjustment() && RESERVATION_FEE.equals(d.kind())).forEach(ordered::add);
        drafts.stream().filter(d -> !d.adjustment() && !RESERVATION_FEE.equals(d.kind())).forEach(ordered::add);
        drafts.stream().filter(Draft::adjustment).forEach(ordered::add);
        InvoiceRounding.RoundedInvoice rounded = InvoiceRounding.round(PriceBookRepository.CURRENCY,
                ordered.stream().map(Draft::amountMicros).toList());
        List<InvoiceLine> lines = new ArrayList<>();
        long totalMicros = 0;
        for (int i = 0; i < ordered.size(); i++) {
            Draft d = ordered.get(i);
            totalMicros = Math.addExact(totalMicros, d.amountMicros());
            lines.add(new InvoiceLine(i + 1, d.kind(), describe(d), d.baseModel(), d.adapter(), d.reservationId(),
                    d.tokens(), d.amountMicros(), rounded.linesMinor().get(i), d.adjustment()));
        }
        return new Invoice(id, tenantId, period, PriceBookRepository.CURRENCY.getCurrencyCode(), status, number, lines,
                totalMicros, rounded.totalMinor(), finalizedAt);
    }

    private static String describe(Draft d) {
        String model = d.baseModel() == null ? "" : d.adapter() == null ? d.baseModel() : d.baseModel() + ":" + d.adapter();
        String what = switch (d.kind()) {
            case RESERVATION_FEE -> "Reservation " + d.reservationId() + " fee for " + d.usagePeriod()
                    + " (prorated by the second when not active the whole month)";
            case "PAYG_INPUT" -> "Pay-as-you-go input tokens, " + model;
            case "PAYG_OUTPUT" -> "Pay-as-you-go output tokens, " + model;
            case "RESERVATION_INCLUDED" -> "Included in reservation " + d.reservationId() + ", " + model;
            case "RESERVATION_OVERAGE" -> "Overage on reservation " + d.reservationId() + ", " + model;
            default -> d.kind() + ", " + model;
        };
        return d.adjustment() ? "Adjustment: usage of " + d.usagePeriod()
                + " received after that invoice was finalized. " + what : what;
    }
}
