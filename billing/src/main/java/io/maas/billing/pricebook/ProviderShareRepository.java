package io.maas.billing.pricebook;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;

import io.maas.billing.rating.MarketplaceShare;
import io.maas.billing.rating.ModelRef;

/** Providers' shares of adapter charges ({@code provider_shares}): the default row ('*','*') and overrides. */
public final class ProviderShareRepository {
    private static final String DEFAULT_KEY = "*";

    private ProviderShareRepository() {
    }

    public static MarketplaceShare load(Connection c) throws SQLException {
        int defaultBps = 0;
        Map<ModelRef, Integer> byAdapter = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement("select base_model, adapter, provider_share_bps from provider_shares");
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                if (DEFAULT_KEY.equals(rs.getString(1)) && DEFAULT_KEY.equals(rs.getString(2))) {
                    defaultBps = rs.getInt(3);
                } else {
                    byAdapter.put(ModelRef.adapter(rs.getString(1), rs.getString(2)), rs.getInt(3));
                }
            }
        }
        return new MarketplaceShare(defaultBps, byAdapter);
    }

    /** Sets the share of one adapter, or the default when {@code adapter} is null. */
    public static void set(Connection c, ModelRef adapter, int providerShareBps) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                insert into provider_shares (base_model, adapter, provider_share_bps) values (?, ?, ?)
                on conflict (base_model, adapter) do update set provider_share_bps = excluded.provider_share_bps""")) {
            ps.setString(1, adapter == null ? DEFAULT_KEY : adapter.baseModel());
            ps.setString(2, adapter == null ? DEFAULT_KEY : adapter.adapter());
            ps.setInt(3, providerShareBps);
            ps.executeUpdate();
        }
    }
}
