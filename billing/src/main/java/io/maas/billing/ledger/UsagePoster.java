package io.maas.billing.ledger;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import io.maas.billing.budget.BudgetRepository;
import io.maas.billing.metering.UsageData;
import io.maas.billing.metering.UsageEvent;
import io.maas.billing.metering.UsageStatus;
import io.maas.billing.pricebook.PriceBookRepository;
import io.maas.billing.pricebook.ProviderShareRepository;
import io.maas.billing.rating.AllowanceDraw;
import io.maas.billing.rating.BillingPeriod;
import io.maas.billing.rating.ChargeLine;
import io.maas.billing.rating.MarketplaceShare;
import io.maas.billing.rating.PriceBook;
import io.maas.billing.rating.Rater;
import io.maas.billing.rating.RatingException;
import io.maas.billing.rating.RatingInput;
import io.maas.billing.rating.RatingResult;
import io.maas.billing.rating.Reservation;
import io.maas.billing.rating.ReservationState;
import io.maas.billing.rating.Usage;
import io.maas.billing.reservation.ReservationRepository;

/**
 * Rates usage events that were just stored and posts them to the ledger, on the caller's connection and in its
 * transaction (the one that stored the events): the price book in force at each event's time, the tenant's
 * reservation states for the event's period read with their allowance rows locked and written back with the
 * draws, and one balanced transaction per charged event referencing its event id (unique: a redelivery or
 * a second rating cannot post twice). Usage that cannot be rated goes to {@code unrated_usage} with the reason.
 */
public final class UsagePoster {
    private UsagePoster() {
    }

    /** How a batch went: events posted, events set aside as unrated, events with nothing to charge. */
    public record Outcome(int posted, int unrated, int uncharged) {
    }

    private record TenantPeriod(String tenantId, BillingPeriod period) {
    }

    /** An event that rated to charge lines, waiting for its invoice period to be known. */
    private record Charged(UsageEvent event, RatingResult result, TenantPeriod key) {
    }

    /**
     * Rates and posts a batch. The per-tenant reads (reservations with their allowance rows locked, invoices,
     * budgets) are made once per batch for all its tenants, not once per tenant, so a batch of thousands of events
     * costs a fixed handful of statements.
     */
    public static Outcome post(Connection c, List<UsageEvent> events) throws SQLException {
        if (events.isEmpty()) {
            return new Outcome(0, 0, 0);
        }
        PriceBook book = PriceBookRepository.load(c);
        MarketplaceShare shares = ProviderShareRepository.load(c);
        Map<TenantPeriod, Map<String, ReservationState>> states = loadStates(c, events);
        List<Charged> charged = new ArrayList<>();
        Map<UUID, String> unrated = new LinkedHashMap<>();
        Map<UUID, String> unratedTenants = new HashMap<>();
        int uncharged = 0;
        for (UsageEvent event : events) {
            UsageData data = event.data();
            TenantPeriod key = new TenantPeriod(data.tenantId(), BillingPeriod.containing(event.time()));
            Map<String, ReservationState> tenantStates = states.get(key);
            RatingResult result;
            try {
                result = Rater.rate(new RatingInput(Usage.of(event), book, List.copyOf(tenantStates.values()), shares));
            } catch (RatingException e) {
                unrated.put(event.id(), e.getMessage());
                unratedTenants.put(event.id(), data.tenantId());
                continue;
            }
            if (result.allowanceDraw().isPresent()) {
                AllowanceDraw draw = result.allowanceDraw().get();
                tenantStates.put(draw.reservationId(), tenantStates.get(draw.reservationId()).after(draw));
            }
            if (result.lines().isEmpty()) {
                uncharged++;
                continue;
            }
            charged.add(new Charged(event, result, key));
        }
        for (var entry : states.entrySet()) {
            for (ReservationState state : entry.getValue().values()) {
                ReservationRepository.saveAllowanceUsage(c, state.reservation().id(), state.period(),
                        state.allowanceUsedTokens());
            }
        }
        Map<TenantPeriod, BillingPeriod> invoicePeriods = invoicePeriods(c, charged);
        List<LedgerTransaction> postings = new ArrayList<>(charged.size());
        for (Charged ch : charged) {
            postings.add(transactionFor(ch.event(), ch.result(), ch.key().period(), invoicePeriods.get(ch.key())));
        }
        LedgerRepository.append(c, postings);
        recordUnrated(c, unrated, unratedTenants);
        // Budget alerts of the tenants and months charged in this batch, in the same transaction.
        if (!invoicePeriods.isEmpty()) {
            Set<String> alerting = BudgetRepository.withAlertThresholds(c,
                    invoicePeriods.keySet().stream().map(TenantPeriod::tenantId).distinct().toList());
            for (TenantPeriod key : invoicePeriods.keySet()) {
                if (alerting.contains(key.tenantId())) {
                    BudgetRepository.raiseAlerts(c, key.tenantId(), key.period());
                }
            }
        }
        return new Outcome(postings.size(), unrated.size(), uncharged);
    }

    /** The invoice period of each charged tenant and period, one lookup per distinct period of the batch. */
    private static Map<TenantPeriod, BillingPeriod> invoicePeriods(Connection c, List<Charged> charged)
            throws SQLException {
        Map<BillingPeriod, Set<String>> tenantsByPeriod = new LinkedHashMap<>();
        for (Charged ch : charged) {
            tenantsByPeriod.computeIfAbsent(ch.key().period(), p -> new LinkedHashSet<>()).add(ch.key().tenantId());
        }
        Map<TenantPeriod, BillingPeriod> out = new LinkedHashMap<>();
        for (var entry : tenantsByPeriod.entrySet()) {
            Map<String, BillingPeriod> open = InvoiceTarget.openInvoicePeriods(c, entry.getValue(), entry.getKey());
            for (String tenant : entry.getValue()) {
                out.put(new TenantPeriod(tenant, entry.getKey()), open.get(tenant));
            }
        }
        return out;
    }

    /** The id of the usage transaction of an event: derived from the event id, so it is the same on every try. */
    public static UUID transactionId(UUID eventId) {
        return UUID.nameUUIDFromBytes(("usage:" + eventId).getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The reservation states of every tenant and period in the batch: one query for the reservations and one that
     * locks their allowance rows (in reservation id order) per distinct period, usually one.
     */
    private static Map<TenantPeriod, Map<String, ReservationState>> loadStates(Connection c, List<UsageEvent> events)
            throws SQLException {
        Map<BillingPeriod, Set<String>> tenantsByPeriod = new LinkedHashMap<>();
        for (UsageEvent e : events) {
            tenantsByPeriod.computeIfAbsent(BillingPeriod.containing(e.time()), p -> new LinkedHashSet<>())
                    .add(e.data().tenantId());
        }
        Map<TenantPeriod, Map<String, ReservationState>> states = new LinkedHashMap<>();
        for (var entry : tenantsByPeriod.entrySet()) {
            BillingPeriod period = entry.getKey();
            for (String tenant : entry.getValue()) {
                states.put(new TenantPeriod(tenant, period), new LinkedHashMap<>());
            }
            List<Reservation> reservations = ReservationRepository.overlappingForTenants(c,
                    List.copyOf(entry.getValue()), period);
            Map<String, Long> used = ReservationRepository.lockAllowanceUsage(c,
                    reservations.stream().map(Reservation::id).sorted().toList(), period);
            for (Reservation r : reservations) {
                states.get(new TenantPeriod(r.tenantId(), period)).put(r.id(),
                        new ReservationState(r, period, used.getOrDefault(r.id(), 0L)));
            }
        }
        return states;
    }

    /**
     * Per charge line: the tenant's receivable is debited the line's amount; the platform's revenue is credited
     * its part and, for adapter lines, the provider's payable its part. Included reservation lines post 0.
     */
    static LedgerTransaction transactionFor(UsageEvent event, RatingResult result, BillingPeriod period,
            BillingPeriod invoicePeriod) {
        UsageData data = event.data();
        List<LedgerEntry> entries = new ArrayList<>();
        String adapter = data.adapter();
        for (ChargeLine line : result.lines()) {
            String kind = line.kind().name();
            String base = line.model().baseModel();
            entries.add(LedgerEntry.debit(LedgerAccounts.tenantReceivable(data.tenantId()), line.amountMicros(), kind,
                    base, adapter, line.reservationId(), line.tokens()));
            entries.add(LedgerEntry.credit(LedgerAccounts.PLATFORM_REVENUE, line.share().platformMicros(), kind, base,
                    adapter, line.reservationId(), line.tokens()));
            if (line.share().providerId() != null) {
                entries.add(LedgerEntry.credit(LedgerAccounts.providerPayable(line.share().providerId()),
                        line.share().providerMicros(), kind, base, adapter, line.reservationId(), line.tokens()));
            }
        }
        return new LedgerTransaction(transactionId(event.id()), LedgerTransaction.USAGE, data.tenantId(),
                data.provider(), event.id(), result.allowanceDraw().map(AllowanceDraw::reservationId).orElse(null),
                period, invoicePeriod, event.time(), entries);
    }

    private static void recordUnrated(Connection c, Map<UUID, String> unrated, Map<UUID, String> tenants)
            throws SQLException {
        if (unrated.isEmpty()) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement("""
                insert into unrated_usage (event_id, tenant_id, reason) values (?, ?, ?)
                on conflict (event_id) do update set reason = excluded.reason, last_attempt_at = now(),
                    attempts = unrated_usage.attempts + 1""")) {
            for (var e : unrated.entrySet()) {
                ps.setObject(1, e.getKey());
                ps.setString(2, tenants.get(e.getKey()));
                ps.setString(3, e.getValue());
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    /**
     * Rates again up to {@code limit} unrated events (oldest first), for example after a price covering them was
     * added: those that rate now are posted and leave {@code unrated_usage}; the others stay, with the new reason.
     */
    public static Outcome retryUnrated(Connection c, int limit) throws SQLException {
        List<UsageEvent> events = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("""
                select u.event_id, u.tenant_id, u.api_key_id, u.base_model, u.adapter, u.provider, u.tokens_prompt,
                    u.tokens_completion, u.status, u.finish_reason, u.ttft_ms, u.duration_ms, u.trace_id, u.occurred_at
                from unrated_usage x join usage_records u on u.event_id = x.event_id
                order by u.occurred_at, u.event_id limit ? for update of x""")) {
            ps.setInt(1, limit);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    events.add(UsageEvent.of(rs.getObject(1, UUID.class), "/maas/billing/unrated-retry",
                            rs.getTimestamp(14).toInstant(),
                            new UsageData(rs.getString(2), rs.getObject(3, UUID.class), rs.getString(4),
                                    rs.getString(5), rs.getString(6), rs.getInt(7), rs.getInt(8),
                                    UsageStatus.fromWire(rs.getString(9)), rs.getString(10),
                                    (Long) rs.getObject(11), (Long) rs.getObject(12), rs.getString(13))));
                }
            }
        }
        if (events.isEmpty()) {
            return new Outcome(0, 0, 0);
        }
        try (PreparedStatement ps = c.prepareStatement("delete from unrated_usage where event_id = any(?::uuid[])")) {
            ps.setArray(1, c.createArrayOf("uuid", events.stream().map(UsageEvent::id).toArray()));
            ps.executeUpdate();
        }
        return post(c, events);
    }
}
