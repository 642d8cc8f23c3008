package io.maas.catalog.manifest;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.maas.catalog.CatalogRejection;

/**
 * The marketplace manifest of an adapter version, {@code maas-manifest.json} at the archive's root. Unknown fields
 * are refused (a typo must not silently drop a price or a license). Claims are free-form JSON, covered by the
 * signature when there is one, never checked by the platform.
 */
public record Manifest(String id, Semver version, String baseModel, String displayName, String description,
        List<String> tags, String license, BigDecimal priceInputMicrosPerToken, BigDecimal priceOutputMicrosPerToken,
        JsonNode claims, String visibility, List<String> tenants, String provider, ObjectNode raw) {

    public static final String FILE = "maas-manifest.json";
    public static final String SIGNATURE_FILE = "maas-manifest.sig";
    /** Adapter ids: lower case, digits, '.', '_', '-'; never '@' or ':' (they separate version and base). */
    public static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");
    private static final Pattern SPDX = Pattern.compile("[A-Za-z0-9.+-]{1,64}");
    private static final Pattern TAG = Pattern.compile("[A-Za-z0-9:._/-]{1,64}");
    private static final Set<String> FIELDS = Set.of("id", "version", "base_model", "display_name", "description",
            "tags", "license", "price", "claims", "visibility", "tenants", "provider");
    private static final long MAX_BYTES = 64 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /** Reads and validates the manifest file; each problem is a {@code manifest_invalid} naming the field. */
    public static Manifest read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new CatalogRejection("manifest_missing", "the archive has no " + FILE + " at its root");
        }
        if (Files.size(file) > MAX_BYTES) {
            throw invalid(null, FILE + " is larger than " + MAX_BYTES + " bytes");
        }
        JsonNode node;
        try {
            node = JSON.readTree(file.toFile());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw invalid(null, FILE + " is not valid JSON: " + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) {
            throw invalid(null, FILE + " must be a JSON object");
        }
        return of((ObjectNode) node);
    }

    static Manifest of(ObjectNode o) {
        for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!FIELDS.contains(f)) {
                throw invalid(f, "unknown field '" + f + "' (fields: " + new java.util.TreeSet<>(FIELDS) + ")");
            }
        }
        String id = text(o, "id", true);
        if (!ID.matcher(id).matches()) {
            throw invalid("id", "'id' must match " + ID.pattern());
        }
        String versionText = text(o, "version", true);
        Semver version = Semver.parse(versionText);
        if (version == null) {
            throw invalid("version", "'version' must be a semantic version such as 1.2.0, was '" + versionText + "'");
        }
        String base = text(o, "base_model", true);
        String displayName = text(o, "display_name", true);
        String description = text(o, "description", false);
        if (displayName.length() > 200 || (description != null && description.length() > 10_000)) {
            throw invalid("display_name", "'display_name' (200) or 'description' (10000 characters) is too long");
        }
        String license = text(o, "license", true);
        if (!SPDX.matcher(license).matches()) {
            throw invalid("license", "'license' must be an SPDX license id such as Apache-2.0");
        }
        List<String> tags = strings(o, "tags", TAG, 32);
        BigDecimal in = null;
        BigDecimal out = null;
        JsonNode price = o.get("price");
        if (price != null && !price.isNull()) {
            if (!price.isObject()) {
                throw invalid("price", "'price' must be an object {input_micros_per_token, output_micros_per_token}");
            }
            in = rate(price, "input_micros_per_token");
            out = rate(price, "output_micros_per_token");
        }
        JsonNode claims = o.get("claims");
        if (claims != null && !claims.isNull() && !claims.isObject()) {
            throw invalid("claims", "'claims' must be an object");
        }
        String visibility = text(o, "visibility", false);
        if (visibility == null) {
            visibility = "public";
        }
        if (!visibility.equals("public") && !visibility.equals("private")) {
            throw invalid("visibility", "'visibility' must be public or private");
        }
        List<String> tenants = strings(o, "tenants", ID, 100);
        String provider = text(o, "provider", false);
        return new Manifest(id, version, base, displayName, description == null ? "" : description, tags, license,
                in, out, claims == null || claims.isNull() ? null : claims, visibility, tenants, provider, o);
    }

    private static BigDecimal rate(JsonNode price, String field) {
        JsonNode v = price.get(field);
        if (v == null || !v.isNumber() || v.decimalValue().signum() < 0 || v.decimalValue().scale() > 12
                || v.decimalValue().precision() - v.decimalValue().scale() > 18) {
            throw invalid("price." + field, "'price." + field + "' must be a number ≥ 0 (micro-units per token)");
        }
        return v.decimalValue();
    }

    private static String text(JsonNode o, String field, boolean required) {
        JsonNode v = o.get(field);
        if (v == null || v.isNull()) {
            if (required) {
                throw invalid(field, "'" + field + "' is required");
            }
            return null;
        }
        if (!v.isTextual() || (required && v.textValue().isBlank())) {
            throw invalid(field, "'" + field + "' must be a non-empty string");
        }
        return v.textValue();
    }

    private static List<String> strings(JsonNode o, String field, Pattern each, int max) {
        JsonNode v = o.get(field);
        List<String> out = new ArrayList<>();
        if (v == null || v.isNull()) {
            return out;
        }
        if (!v.isArray() || v.size() > max) {
            throw invalid(field, "'" + field + "' must be a list of at most " + max + " strings");
        }
        for (JsonNode s : v) {
            if (!s.isTextual() || !each.matcher(s.textValue()).matches()) {
                throw invalid(field, "'" + field + "' entries must match " + each.pattern());
            }
            out.add(s.textValue());
        }
        return out;
    }

    private static CatalogRejection invalid(String field, String message) {
        return new CatalogRejection("manifest_invalid", FILE + ": " + message);
    }

    /** {@code id@version}: the served model id of this version. */
    public String servedId() {
        return id + "@" + version.text();
    }
}
