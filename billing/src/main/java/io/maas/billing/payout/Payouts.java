package io.maas.billing.payout;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.YearMonth;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

import io.maas.billing.BillingException;
import io.maas.billing.ledger.LedgerAccounts;
import io.maas.billing.ledger.LedgerEntry;
import io.maas.billing.ledger.LedgerRepository;
import io.maas.billing.ledger.LedgerTransaction;
import io.maas.billing.rating.BillingPeriod;

/**
 * Provider payouts on the caller's connection: a payout is a ledger transaction (debit the provider's payable,
 * credit platform cash) plus a row keyed by the client's id, so a retried request returns the first payout. A
 * payout may not exceed what the provider's payable holds for that period (its earnings of the period minus the
 * payouts already made for it); payouts of one provider take turns on an advisory lock so two at once cannot
 * both pass that check.
 */
public final class Payouts {
    /** Charge kind on a payout's ledger entries. */
    public static final String PAYOUT = "PAYOUT";
    /** First key of the per-provider advisory lock (the second is the provider id's hash). */
    private static final int PROVIDER_LOCK = 0x12;
    private static final int MAX_ID_LENGTH = 64;

    private Payouts() {
    }

    /** The result of recording: the payout, and whether it was new (false: the same request was made before). */
    public record Recorded(Payout payout, boolean created) {
    }

    /** The ledger transaction id of a payout: derived from its id, the same on every try. */
    public static UUID transactionId(String payoutId) {
        return UUID.nameUUIDFromBytes(("payout:" + payoutId).getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Records a payout of {@code amountMicros} to {@code providerId} for {@code period}. The same id with the same
     * provider, period and amount returns the existing payout; with anything else it is refused (conflict).
     */
    public static Recorded record(Connection c, String id, String providerId, BillingPeriod period, long amountMicros,
            String reference, Instant now) throws SQLException {
        if (id == null || id.isBlank() || id.length() > MAX_ID_LENGTH) {
            throw new BillingException(BillingException.Kind.INVALID, "'id' (the idempotency key) is required, at most "
                    + MAX_ID_LENGTH + " characters", "id");
        }
        if (providerId == null || providerId.isBlank()) {
            throw new BillingException(BillingException.Kind.INVALID, "'provider_id' is required", "provider_id");
        }
        if (amountMicros <= 0) {
            throw new BillingException(BillingException.Kind.INVALID, "'amount_micros' must be positive", "amount_micros");
        }
        try (PreparedStatement ps = c.prepareStatement("select pg_advisory_xact_lock(?, hashtext(?))")) {
            ps.setInt(1, PROVIDER_LOCK);
            ps.setString(2, providerId);
            ps.executeQuery().close();
        }
        Optional<Payout> existing = find(c, id);
        if (existing.isPresent()) {
            Payout p = existing.get();
            if (p.providerId().equals(providerId) && p.period().equals(period) && p.amountMicros() == amountMicros
                    && Objects.equals(p.reference(), reference)) {
                return new Recorded(p, false);
            }
            throw new BillingException(BillingException.Kind.CONFLICT, "payout id '" + id
                    + "' was already used for another payout (" + p.providerId() + ", " + p.period() + ", "
                    + p.amountMicros() + " micros)", "id");
        }
        long balance = payableBalanceMicros(c, providerId, period);
        if (amountMicros > balance) {
            throw new BillingException(BillingException.Kind.CONFLICT, "payout of " + amountMicros + " micros exceeds "
                    + providerId + "'s payable balance for " + period + " (" + balance + " micros)", "amount_micros");
        }
        UUID txId = transactionId(id);
        String payable = LedgerAccounts.providerPayable(providerId);
        LedgerRepository.append(c, List.of(new LedgerTransaction(txId, LedgerTransaction.PAYOUT, null, providerId, null,
                null, period, null, now, List.of(
                        LedgerEntry.debit(payable, amountMicros, PAYOUT, null, null, null, 0),
                        LedgerEntry.credit(LedgerAccounts.PLATFORM_CASH, amountMicros, PAYOUT, null, null, null, 0)))));
        try (PreparedStatement ps = c.prepareStatement("""
                insert into provider_payouts (id, provider_id, period_start, amount_micros, reference, transaction_id,
                    created_at) values (?, ?, ?, ?, ?, ?, ?)""")) {
            ps.setString(1, id);
            ps.setString(2, providerId);
            ps.setDate(3, LedgerRepository.periodDate(period));
            ps.setLong(4, amountMicros);
            ps.setString(5, reference);
            ps.setObject(6, txId);
            ps.setTimestamp(7, Timestamp.from(now));
            ps.executeUpdate();
        }
        return new Recorded(find(c, id).orElseThrow(), true);
    }

    /**
     * What the platform owes the provider for {@code period}: credits to its payable account from that period's
     * transactions (its share of usage) minus debits (payouts for the period).
     */
    public static long payableBalanceMicros(Connection c, String providerId, BillingPeriod period) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                select coalesce(sum(e.credit_micros), 0) - coalesce(sum(e.debit_micros), 0)
                from ledger_entries e join ledger_transactions t on t.id = e.transaction_id
                where e.account = ? and t.period_start = ?""")) {
            ps.setString(1, LedgerAccounts.providerPayable(providerId));
            ps.setDate(2, LedgerRepository.periodDate(period));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    public static Optional<Payout> find(Connection c, String id) throws SQLException {
        List<Payout> found = query(c, "where id = ?", List.of(id), 1);
        return found.isEmpty() ? Optional.empty() : Optional.of(found.get(0));
    }

    /** Payouts filtered by provider and period (either may be null), oldest first, at most {@code limit}. */
    public static List<Payout> list(Connection c, String providerId, BillingPeriod period, int limit) throws SQLException {
        StringBuilder where = new StringBuilder("where true");
        List<Object> params = new ArrayList<>();
        if (providerId != null) {
            where.append(" and provider_id = ?");
            params.add(providerId);
        }
        if (period != null) {
            where.append(" and period_start = ?");
            params.add(LedgerRepository.periodDate(period));
        }
        return query(c, where.toString(), params, limit);
    }

    private static List<Payout> query(Connection c, String where, List<Object> params, int limit) throws SQLException {
        List<Payout> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("select id, provider_id, period_start, amount_micros, reference,"
                + " transaction_id, created_at from provider_payouts " + where + " order by created_at, id limit ?")) {
            int i = 1;
            for (Object p : params) {
                ps.setObject(i++, p);
            }
            ps.setInt(i, limit);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Payout(rs.getString(1), rs.getString(2),
                            BillingPeriod.of(YearMonth.from(rs.getDate(3).toLocalDate())), rs.getLong(4), rs.getString(5),
                            rs.getObject(6, UUID.class), rs.getTimestamp(7).toInstant()));
                }
            }
        }
        return out;
    }
}
