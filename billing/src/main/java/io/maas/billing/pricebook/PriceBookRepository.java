package io.maas.billing.pricebook;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Currency;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.maas.billing.rating.ChargeModelType;
import io.maas.billing.rating.ModelRef;
import io.maas.billing.rating.PriceBook;
import io.maas.billing.rating.PriceEntry;
import io.maas.billing.rating.PriceTier;

/**
 * Price entries in {@code price_entries}/{@code price_tiers} on the caller's connection and transaction, mapped
 * to and from the rating core's {@link PriceEntry}. Entries are only ever inserted (the table refuses updates).
 */
public final class PriceBookRepository {
    /** The platform's one currency; multi-currency price books are not supported yet. */
    public static final Currency CURRENCY = Currency.getInstance("USD");

    private PriceBookRepository() {
    }

    /** A stored entry with its row id. */
    public record StoredPrice(long id, PriceEntry entry, Instant createdAt) {
    }

    public static long insert(Connection c, PriceEntry entry) throws SQLException {
        long id;
        try (PreparedStatement ps = c.prepareStatement("""
                insert into price_entries (base_model, adapter, effective_from, charge_model, currency)
                values (?, ?, ?, ?, ?) returning id""")) {
            ps.setString(1, entry.model().baseModel());
            ps.setString(2, adapterColumn(entry.model()));
            ps.setTimestamp(3, Timestamp.from(entry.effectiveFrom()));
            ps.setString(4, entry.chargeModel().wireName());
            ps.setString(5, CURRENCY.getCurrencyCode());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                id = rs.getLong(1);
            }
        }
        try (PreparedStatement ps = c.prepareStatement("""
                insert into price_tiers (price_entry_id, tier_index, up_to_tokens, input_micros_per_token,
                    output_micros_per_token) values (?, ?, ?, ?, ?)""")) {
            for (int i = 0; i < entry.tiers().size(); i++) {
                PriceTier tier = entry.tiers().get(i);
                ps.setLong(1, id);
                ps.setInt(2, i);
                if (tier.isUnbounded()) {
                    ps.setNull(3, java.sql.Types.BIGINT);
                } else {
                    ps.setLong(3, tier.upToTokens());
                }
                ps.setBigDecimal(4, tier.inputMicrosPerToken());
                ps.setBigDecimal(5, tier.outputMicrosPerToken());
                ps.addBatch();
            }
            ps.executeBatch();
        }
        return id;
    }

    /** Every entry, oldest effective first. */
    public static List<StoredPrice> list(Connection c) throws SQLException {
        Map<Long, StoredPriceBuilder> rows = new LinkedHashMap<>();
        try (PreparedStatement ps = c.prepareStatement("""
                select e.id, e.base_model, e.adapter, e.effective_from, e.charge_model, e.created_at,
                    t.up_to_tokens, t.input_micros_per_token, t.output_micros_per_token
                from price_entries e join price_tiers t on t.price_entry_id = e.id
                order by e.effective_from, e.id, t.tier_index""");
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                long id = rs.getLong(1);
                StoredPriceBuilder b = rows.get(id);
                if (b == null) {
                    String adapter = rs.getString(3);
                    ModelRef model = adapter.isEmpty() ? ModelRef.base(rs.getString(2))
                            : ModelRef.adapter(rs.getString(2), adapter);
                    b = new StoredPriceBuilder(id, model, rs.getTimestamp(4).toInstant(),
                            ChargeModelType.fromWire(rs.getString(5)), rs.getTimestamp(6).toInstant());
                    rows.put(id, b);
                }
                long upTo = rs.getLong(7);
                boolean unbounded = rs.wasNull();
                BigDecimal input = plain(rs.getBigDecimal(8));
                BigDecimal output = plain(rs.getBigDecimal(9));
                b.tiers.add(unbounded ? PriceTier.unbounded(input, output) : PriceTier.upTo(upTo, input, output));
            }
        }
        List<StoredPrice> out = new ArrayList<>(rows.size());
        for (StoredPriceBuilder b : rows.values()) {
            out.add(new StoredPrice(b.id, new PriceEntry(b.model, b.effectiveFrom, b.chargeModel, b.tiers), b.createdAt));
        }
        return out;
    }

    /** The whole price book (a small table: every model's history). */
    public static PriceBook load(Connection c) throws SQLException {
        return new PriceBook(CURRENCY, list(c).stream().map(StoredPrice::entry).toList());
    }

    /**
     * Whether usage of {@code model} at or after {@code from} has already been rated: then a price taking
     * effect at {@code from} would re-price it, and is refused. A base-model price also prices its adapters
     * (fallback), so for a base model any usage on that base counts.
     */
    public static boolean hasRatedUsageSince(Connection c, ModelRef model, Instant from) throws SQLException {
        String sql = """
                select exists (select 1 from ledger_transactions t join usage_records u on u.event_id = t.usage_event_id
                where t.kind = 'usage' and u.occurred_at >= ? and u.base_model = ?"""
                + (model.isAdapter() ? " and u.adapter = ?" : "") + ")";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setTimestamp(1, Timestamp.from(from));
            ps.setString(2, model.baseModel());
            if (model.isAdapter()) {
                ps.setString(3, model.adapter());
            }
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    /** A stored numeric(30,12) without its padding zeros, never in exponent form (120, not 1.2E+2). */
    public static BigDecimal plain(BigDecimal stored) {
        BigDecimal stripped = stored.stripTrailingZeros();
        return stripped.scale() < 0 ? stripped.setScale(0) : stripped;
    }

    static String adapterColumn(ModelRef model) {
        return model.isAdapter() ? model.adapter() : "";
    }

    private static final class StoredPriceBuilder {
        final long id;
        final ModelRef model;
        final Instant effectiveFrom;
        final ChargeModelType chargeModel;
        final Instant createdAt;
        final List<PriceTier> tiers = new ArrayList<>();

        StoredPriceBuilder(long id, ModelRef model, Instant effectiveFrom, ChargeModelType chargeModel, Instant createdAt) {
            this.id = id;
            this.model = model;
            this.effectiveFrom = effectiveFrom;
            this.chargeModel = chargeModel;
            this.createdAt = createdAt;
        }
    }
}
