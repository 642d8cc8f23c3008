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
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
        return finalizeLocked(c, period, List.of(new Due(header.id(), tenantId, period)), now).get(0);
    }

    /** Key of the PostgreSQL advisory lock that makes finalize-due runs of several instances take turns. */
    public static final long FINALIZE_DUE_LOCK = 0x6d61617346494eL;

    /** One finalize-due run: the invoices it finalized, or {@code busy} when another finalizer held the lock. */
    public record DueRun(List<Invoice> finalized, boolean busy) {
    }

    /**
     * Finalizes up to {@code limit} drafts of periods that ended by {@code endedBy}, creating the drafts of tenants
     * whose only charge is a reservation fee first; {@code now} is recorded as the finalization time. Safe with
     * several instances: the run holds a transaction-scoped advisory lock ({@code wait} false: a run that cannot
     * get it at once does nothing and says {@code busy}), and takes the drafts {@code for update skip locked}, so an
     * invoice an admin is finalizing by hand at that moment is left to that call. Call it until it finalizes fewer
     * than {@code limit}, one transaction per call.
     */
    public static DueRun finalizeDue(Connection c, Instant endedBy, Instant now, int limit, boolean wait)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(wait ? "select pg_advisory_xact_lock(?), true"
                : "select true, pg_try_advisory_xact_lock(?)")) {
            ps.setLong(1, FINALIZE_DUE_LOCK);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (!rs.getBoolean(2)) {
                    return new DueRun(List.of(), true);
                }
            }
        }
        BillingPeriod last = BillingPeriod.of(BillingPeriod.containing(endedBy).month().minusMonths(1));
        for (Reservation r : ReservationRepository.overlappingAll(c, last)) {
            InvoiceTarget.ensureDraft(c, r.tenantId(), last);
        }
        List<Due> due = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("""
                select id, tenant_id, period_start from invoices where status = 'draft' and period_start <= ?
                order by period_start, tenant_id limit ? for update skip locked""")) {
            ps.setDate(1, LedgerRepository.periodDate(last));
            ps.setInt(2, limit);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    due.add(new Due(rs.getObject(1, UUID.class), rs.getString(2), periodOf(rs.getDate(3))));
                }
            }
        }
        List<Invoice> done = new ArrayList<>();
        Map<BillingPeriod, List<Due>> byPeriod = new LinkedHashMap<>();
        for (Due d : due) {
            byPeriod.computeIfAbsent(d.period(), p -> new ArrayList<>()).add(d);
        }
        for (var e : byPeriod.entrySet()) {
            done.addAll(finalizeLocked(c, e.getKey(), e.getValue(), now));
        }
        return new DueRun(done, false);
    }

    /** Finalizes every invoice of periods that ended by {@code now} (at most {@code limit}), waiting for the lock. */
    public static List<Invoice> finalizeDue(Connection c, Instant now, int limit) throws SQLException {
        return finalizeDue(c, now, now, limit, true).finalized();
    }

    /** A draft invoice due for finalization, its row locked by the caller. */
    private record Due(UUID id, String tenantId, BillingPeriod period) {
    }

    /**
     * Finalizes drafts of one period whose rows the caller holds {@code for update}, set-based: one statement
     * each for the fees, the numbers, the lines of every invoice, and the stores, whatever the number of tenants.
     */
    private static List<Invoice> finalizeLocked(Connection c, BillingPeriod period, List<Due> due, Instant now)
            throws SQLException {
        Map<String, Due> byTenant = new LinkedHashMap<>();
        for (Due d : due) {
            byTenant.put(d.tenantId(), d);
        }
        List<Reservation> reservations = due.size() == 1
                ? ReservationRepository.overlapping(c, due.get(0).tenantId(), period)
                : ReservationRepository.overlappingAll(c, period);
        List<LedgerTransaction> fees = new ArrayList<>();
        for (Reservation r : reservations) {
            long fee = r.feeMicrosFor(period);
            if (fee == 0 || !byTenant.containsKey(r.tenantId())) {
                continue;
            }
            fees.add(new LedgerTransaction(UUID.nameUUIDFromBytes(("fee:" + r.id() + ":" + period).getBytes()),
                    LedgerTransaction.RESERVATION_FEE, r.tenantId(), null, null, r.id(), period, period, period.start(),
                    List.of(LedgerEntry.debit(LedgerAccounts.tenantReceivable(r.tenantId()), fee, RESERVATION_FEE, null,
                                    null, r.id(), 0),
                            LedgerEntry.credit(LedgerAccounts.PLATFORM_REVENUE, fee, RESERVATION_FEE, null, null,
                                    r.id(), 0))));
        }
        LedgerRepository.append(c, fees);
        List<Long> numbers = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(
                "select nextval('invoice_number_seq') from generate_series(1, ?)")) {
            ps.setInt(1, due.size());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    numbers.add(rs.getLong(1));
                }
            }
        }
        Collections.sort(numbers);
        Map<String, List<Draft>> drafts = ledgerDrafts(c, List.copyOf(byTenant.keySet()), period);
        List<Invoice> invoices = new ArrayList<>();
        int i = 0;
        for (Due d : byTenant.values()) {
            String number = "INV-" + period + "-" + String.format("%06d", numbers.get(i++));
            invoices.add(assemble(d.id(), d.tenantId(), period, Invoice.FINALIZED, number,
                    drafts.getOrDefault(d.tenantId(), List.of()), now));
        }
        try (PreparedStatement ps = c.prepareStatement("""
                insert into invoice_lines (invoice_id, line_no, kind, description, base_model, adapter, reservation_id,
                    tokens, amount_micros, amount_minor, adjustment) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""")) {
            for (Invoice invoice : invoices) {
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
            }
            ps.executeBatch();
        }
        try (PreparedStatement ps = c.prepareStatement("""
                update invoices set status = 'finalized', number = ?, total_micros = ?, total_minor = ?, finalized_at = ?
                where id = ? and status = 'draft'""")) {
            for (Invoice invoice : invoices) {
                ps.setString(1, invoice.number());
                ps.setLong(2, invoice.totalMicros());
                ps.setLong(3, invoice.totalMinor());
                ps.setTimestamp(4, Timestamp.from(now));
                ps.setObject(5, invoice.id());
                ps.addBatch();
            }
            int[] updated = ps.executeBatch();
            for (int n : updated) {
                // The rows are locked by this transaction and were drafts: anything else is a bug, never committed.
                if (n != 1 && n != PreparedStatement.SUCCESS_NO_INFO) {
                    throw new IllegalStateException("an invoice due for finalization was not a locked draft");
                }
            }
        }
        return invoices;
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
        return ledgerDrafts(c, List.of(tenantId), period).getOrDefault(tenantId, List.of());
    }

    /** {@link #ledgerDrafts(Connection, String, BillingPeriod)} of many tenants in one statement, by tenant. */
    private static Map<String, List<Draft>> ledgerDrafts(Connection c, List<String> tenantIds, BillingPeriod period)
            throws SQLException {
        Map<String, List<Draft>> out = new HashMap<>();
        // The receivable account is spelled as LedgerAccounts.tenantReceivable spells it.
        try (PreparedStatement ps = c.prepareStatement("""
                select t.tenant_id, t.period_start, e.charge_kind, e.base_model, e.adapter, e.reservation_id,
                    sum(e.tokens), sum(e.debit_micros)
                from ledger_entries e join ledger_transactions t on t.id = e.transaction_id
                where t.tenant_id = any(?) and t.invoice_period_start = ?
                    and e.account = 'tenant:' || t.tenant_id || ':receivable' and e.debit_micros >= 0
                    and e.credit_micros = 0
                group by t.tenant_id, t.period_start, e.charge_kind, e.base_model, e.adapter, e.reservation_id
                order by t.tenant_id, t.period_start, (e.charge_kind <> 'RESERVATION_FEE'), e.reservation_id nulls last,
                    e.base_model, e.adapter nulls first, e.charge_kind""")) {
            ps.setArray(1, c.createArrayOf("varchar", tenantIds.toArray()));
            ps.setDate(2, LedgerRepository.periodDate(period));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    BillingPeriod usagePeriod = periodOf(rs.getDate(2));
                    out.computeIfAbsent(rs.getString(1), t -> new ArrayList<>()).add(new Draft(rs.getString(3),
                            rs.getString(4), rs.getString(5), rs.getString(6), rs.getLong(7), rs.getLong(8),
                            usagePeriod, !usagePeriod.equals(period)));
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
