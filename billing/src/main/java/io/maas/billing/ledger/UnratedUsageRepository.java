package io.maas.billing.ledger;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** Reads {@code unrated_usage} for admins: usage stored but not billed yet, with why. */
public final class UnratedUsageRepository {
    private UnratedUsageRepository() {
    }

    /** One unrated event. */
    public record Unrated(UUID eventId, String tenantId, String baseModel, String adapter, Instant occurredAt,
            String reason, int attempts, Instant lastAttemptAt) {
    }

    public static List<Unrated> list(Connection c, int limit) throws SQLException {
        List<Unrated> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("""
                select x.event_id, x.tenant_id, u.base_model, u.adapter, u.occurred_at, x.reason, x.attempts,
                    x.last_attempt_at
                from unrated_usage x join usage_records u on u.event_id = x.event_id
                order by u.occurred_at, x.event_id limit ?""")) {
            ps.setInt(1, limit);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Unrated(rs.getObject(1, UUID.class), rs.getString(2), rs.getString(3), rs.getString(4),
                            rs.getTimestamp(5).toInstant(), rs.getString(6), rs.getInt(7),
                            rs.getTimestamp(8).toInstant()));
                }
            }
        }
        return out;
    }
}
