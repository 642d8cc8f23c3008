package io.maas.catalog.service;

import java.math.BigDecimal;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import javax.sql.DataSource;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** SQL over the catalog tables (V5); callers own the transaction. */
@ApplicationScoped
public class CatalogRepository {
    static final ObjectMapper JSON = new ObjectMapper();

    @Inject
    DataSource db;

    /** One stored version, as the catalog shows and serves it. */
    public record VersionRow(String adapterId, String version, String provider, String baseModel, String displayName,
            String description, List<String> tags, String license, BigDecimal priceInput, BigDecimal priceOutput,
            JsonNode claims, Map<String, String> files, Map<String, Long> sizes, long totalBytes, boolean signed,
            String visibility, List<String> tenants, String status, String successor, Instant createdAt,
            Instant publishedAt, Instant deprecatedAt, Instant retiredAt, long major, long minor, long patch,
            int release) {

        public String servedId() {
            return adapterId + "@" + version;
        }
    }

    /** Everything needed to insert a version. */
    public record NewVersion(String adapterId, String version, long major, long minor, long patch, boolean release,
            String baseModel, String displayName, String description, List<String> tags, String license,
            BigDecimal priceInput, BigDecimal priceOutput, JsonNode claims, JsonNode manifest, JsonNode files,
            long totalBytes, boolean signed, String visibility, List<String> tenants, String createdBy) {
    }

    public Optional<String> adapterProvider(String id) {
        return one("select provider from catalog_adapters where id = ?", rs -> rs.getString(1), id);
    }

    public boolean versionExists(String id, String version) {
        return one("select 1 from catalog_versions where adapter_id = ? and version = ?", rs -> 1, id, version).isPresent();
    }

    public void insertVersion(String provider, NewVersion v) {
        try (Connection c = db.getConnection()) {
            try (PreparedStatement ps = c.prepareStatement(
                    "insert into catalog_adapters (id, provider) values (?, ?) on conflict (id) do nothing")) {
                ps.setString(1, v.adapterId());
                ps.setString(2, provider);
                ps.executeUpdate();
            }
            try (PreparedStatement ps = c.prepareStatement("insert into catalog_versions (adapter_id, version, v_major, "
                    + "v_minor, v_patch, v_release, base_model, display_name, description, tags, license, "
                    + "price_input_micros_per_token, price_output_micros_per_token, claims, manifest, files, total_bytes, "
                    + "signed, visibility, tenants, status, created_by) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                    + "?::jsonb, ?::jsonb, ?::jsonb, ?, ?, ?, ?, 'draft', ?)")) {
                int i = 1;
                ps.setString(i++, v.adapterId());
                ps.setString(i++, v.version());
                ps.setLong(i++, v.major());
                ps.setLong(i++, v.minor());
                ps.setLong(i++, v.patch());
                ps.setShort(i++, (short) (v.release() ? 1 : 0));
                ps.setString(i++, v.baseModel());
                ps.setString(i++, v.displayName());
                ps.setString(i++, v.description());
                ps.setArray(i++, c.createArrayOf("text", v.tags().toArray()));
                ps.setString(i++, v.license());
                ps.setBigDecimal(i++, v.priceInput());
                ps.setBigDecimal(i++, v.priceOutput());
                ps.setString(i++, v.claims() == null ? null : JSON.writeValueAsString(v.claims()));
                ps.setString(i++, JSON.writeValueAsString(v.manifest()));
                ps.setString(i++, JSON.writeValueAsString(v.files()));
                ps.setLong(i++, v.totalBytes());
                ps.setBoolean(i++, v.signed());
                ps.setString(i++, v.visibility());
                ps.setArray(i++, c.createArrayOf("text", v.tenants().toArray()));
                ps.setString(i++, v.createdBy());
                ps.executeUpdate();
            }
        } catch (SQLException | JsonProcessingException e) {
            throw new IllegalStateException("cannot store catalog version " + v.adapterId() + "@" + v.version(), e);
        }
    }

    public void insertBlob(String sha256, long size) {
        update("insert into catalog_blobs (sha256, size_bytes) values (?, ?) on conflict (sha256) do nothing", sha256, size);
    }

    /** Every version, optionally only those not in draft, ordered by adapter then semver precedence (highest last). */
    public List<VersionRow> versions(String adapterIdOrNull, boolean withDrafts) {
        String sql = "select v.*, a.provider from catalog_versions v join catalog_adapters a on a.id = v.adapter_id"
                + " where (?::text is null or v.adapter_id = ?) and (? or v.status <> 'draft')"
                + " order by v.adapter_id, v.v_major, v.v_minor, v.v_patch, v.v_release, v.version";
        List<VersionRow> out = new ArrayList<>();
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, adapterIdOrNull);
            ps.setString(2, adapterIdOrNull);
            ps.setBoolean(3, withDrafts);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(row(rs));
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the catalog", e);
        }
        return out;
    }

    public void setStatus(String id, String version, String status, String successor) {
        String column = switch (status) {
            case "published" -> "published_at";
            case "deprecated" -> "deprecated_at";
            case "retired" -> "retired_at";
            default -> throw new IllegalArgumentException(status);
        };
        update("update catalog_versions set status = ?, successor = coalesce(?::text, successor), " + column + " = now()"
                + " where adapter_id = ? and version = ?", status, successor, id, version);
    }

    public Optional<String> providerKey(String provider) {
        return one("select public_key from catalog_provider_keys where provider = ?", rs -> rs.getString(1), provider);
    }

    public void putProviderKey(String provider, String publicKeyBase64) {
        update("insert into catalog_provider_keys (provider, public_key) values (?, ?) on conflict (provider) do update"
                + " set public_key = excluded.public_key, registered_at = now()", provider, publicKeyBase64);
    }

    public Optional<String> licenseDecision(String spdx) {
        return one("select decision from catalog_license_policy where lower(spdx_id) = lower(?)", rs -> rs.getString(1),
                spdx);
    }

    public Map<String, String> licenses() {
        Map<String, String> out = new LinkedHashMap<>();
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(
                "select spdx_id, decision from catalog_license_policy order by spdx_id"); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.put(rs.getString(1), rs.getString(2));
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the license policy", e);
        }
        return out;
    }

    public void putLicense(String spdx, String decision) {
        update("insert into catalog_license_policy (spdx_id, decision) values (?, ?) on conflict (spdx_id) do update"
                + " set decision = excluded.decision, updated_at = now()", spdx, decision);
    }

    /** Requests, tokens and distinct tenants of an adapter's versions over the last {@code days} days (daily rollups). */
    public long[] usage(String adapterId, int days) {
        String sql = "select coalesce(sum(requests), 0), coalesce(sum(tokens_prompt + tokens_completion), 0),"
                + " count(distinct tenant_id) from usage_rollups_daily"
                + " where (adapter = ? or adapter like ? escape '\\') and day >= current_date - ?";
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, adapterId);
            ps.setString(2, adapterId.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%") + "@%");
            ps.setInt(3, days);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return new long[] {rs.getLong(1), rs.getLong(2), rs.getLong(3)};
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read usage rollups", e);
        }
    }

    /** A live reservation whose scope names an adapter version that is retired. */
    public record RetiredReservation(String reservationId, String tenantId, String scopeEntry, String successor) {
    }

    /**
     * Live reservations (not ended) whose adapters scope names a retired version ({@code base:id@version}), or an
     * adapter id ({@code base:id}) all of whose versions are retired.
     */
    public List<RetiredReservation> reservationsOnRetired() {
        String sql = "select r.id, r.tenant_id, s.entry, v.successor from reservations r"
                + " cross join lateral unnest(r.scope_adapters) as s(entry)"
                + " join catalog_versions v on split_part(s.entry, ':', 2) = v.adapter_id || '@' || v.version"
                + " where r.scope_kind = 'adapters' and (r.ends_at is null or r.ends_at > now()) and v.status = 'retired'"
                + " union all"
                + " select r.id, r.tenant_id, s.entry, (select successor from catalog_versions x where x.adapter_id ="
                + " split_part(s.entry, ':', 2) order by x.v_major desc, x.v_minor desc, x.v_patch desc, x.v_release desc"
                + " limit 1) from reservations r cross join lateral unnest(r.scope_adapters) as s(entry)"
                + " where r.scope_kind = 'adapters' and (r.ends_at is null or r.ends_at > now())"
                + " and exists (select 1 from catalog_versions x where x.adapter_id = split_part(s.entry, ':', 2))"
                + " and not exists (select 1 from catalog_versions x where x.adapter_id = split_part(s.entry, ':', 2)"
                + " and x.status <> 'retired') order by 1, 3";
        List<RetiredReservation> out = new ArrayList<>();
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql);
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(new RetiredReservation(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4)));
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read reservations", e);
        }
        return out;
    }

    /** A base model registered through the catalog. */
    public record ModelRow(String id, Map<String, String> files, long totalBytes, String createdBy, Instant createdAt) {
    }

    public boolean modelExists(String id) {
        return one("select 1 from catalog_models where id = ?", rs -> 1, id).isPresent();
    }

    public void insertModel(String id, JsonNode files, long totalBytes, String createdBy) {
        try {
            update("insert into catalog_models (id, files, total_bytes, created_by) values (?, ?::jsonb, ?, ?)", id,
                    JSON.writeValueAsString(files), totalBytes, createdBy);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public List<ModelRow> models() {
        List<ModelRow> out = new ArrayList<>();
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(
                "select id, files, total_bytes, created_by, created_at from catalog_models order by id");
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                Map<String, String> files = new LinkedHashMap<>();
                for (JsonNode e : JSON.readTree(rs.getString(2))) {
                    files.put(e.get("path").asText(), e.get("sha256").asText());
                }
                out.add(new ModelRow(rs.getString(1), files, rs.getLong(3), rs.getString(4),
                        instant(rs.getTimestamp(5))));
            }
        } catch (SQLException | JsonProcessingException e) {
            throw new IllegalStateException("cannot read catalog models", e);
        }
        return out;
    }

    private static VersionRow row(ResultSet rs) throws SQLException {
        Map<String, String> files = new LinkedHashMap<>();
        Map<String, Long> sizes = new LinkedHashMap<>();
        JsonNode claims;
        try {
            JsonNode f = JSON.readTree(rs.getString("files"));
            for (JsonNode e : f) {
                files.put(e.get("path").asText(), e.get("sha256").asText());
                sizes.put(e.get("path").asText(), e.get("size_bytes").asLong());
            }
            String c = rs.getString("claims");
            claims = c == null ? null : JSON.readTree(c);
        } catch (JsonProcessingException e) {
            throw new SQLException("unreadable catalog JSON", e);
        }
        return new VersionRow(rs.getString("adapter_id"), rs.getString("version"), rs.getString("provider"),
                rs.getString("base_model"), rs.getString("display_name"), rs.getString("description"),
                strings(rs.getArray("tags")), rs.getString("license"), rs.getBigDecimal("price_input_micros_per_token"),
                rs.getBigDecimal("price_output_micros_per_token"), claims, files, sizes, rs.getLong("total_bytes"),
                rs.getBoolean("signed"), rs.getString("visibility"), strings(rs.getArray("tenants")),
                rs.getString("status"), rs.getString("successor"), instant(rs.getTimestamp("created_at")),
                instant(rs.getTimestamp("published_at")), instant(rs.getTimestamp("deprecated_at")),
                instant(rs.getTimestamp("retired_at")), rs.getLong("v_major"), rs.getLong("v_minor"),
                rs.getLong("v_patch"), rs.getShort("v_release"));
    }

    private static List<String> strings(Array a) throws SQLException {
        return a == null ? List.of() : List.of((String[]) a.getArray());
    }

    private static Instant instant(Timestamp t) {
        return t == null ? null : t.toInstant();
    }

    private interface Reader<T> {
        T read(ResultSet rs) throws SQLException;
    }

    private <T> Optional<T> one(String sql, Reader<T> reader, Object... args) {
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.ofNullable(reader.read(rs)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new IllegalStateException("catalog query failed: " + sql, e);
        }
    }

    private void update(String sql, Object... args) {
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException("catalog update failed: " + sql, e);
        }
    }
}
