package io.maas.catalog.api;

import java.util.List;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.maas.catalog.service.CatalogRepository;
import io.maas.catalog.service.CatalogService;

/** Catalog rows to their JSON wire form (snake_case), in one place. */
final class CatalogApiMapper {
    /** How claims are labelled: the platform never checks them, a provider signature at most vouches for them. */
    static final String SIGNED_CLAIMS = "verified_by_provider_signature";
    static final String UNSIGNED_CLAIMS = "unverified";
    private static final ObjectMapper JSON = new ObjectMapper();

    private CatalogApiMapper() {
    }

    static ObjectNode version(CatalogRepository.VersionRow v, boolean withFiles) {
        ObjectNode o = JSON.createObjectNode();
        o.put("object", "catalog.adapter_version");
        o.put("id", v.adapterId());
        o.put("version", v.version());
        o.put("model", v.servedId());
        o.put("status", v.status());
        o.put("provider", v.provider());
        o.put("base_model", v.baseModel());
        o.put("display_name", v.displayName());
        o.put("description", v.description());
        ArrayNode tags = o.putArray("tags");
        v.tags().forEach(tags::add);
        o.put("license", v.license());
        if (v.priceInput() != null) {
            ObjectNode price = o.putObject("price");
            price.put("input_micros_per_token", v.priceInput());
            price.put("output_micros_per_token", v.priceOutput());
        } else {
            o.putNull("price");
        }
        o.put("visibility", v.visibility());
        o.put("signed", v.signed());
        if (v.claims() != null) {
            ObjectNode claims = o.putObject("claims");
            claims.put("verification", v.signed() ? SIGNED_CLAIMS : UNSIGNED_CLAIMS);
            claims.set("data", v.claims());
        } else {
            o.putNull("claims");
        }
        o.put("successor", v.successor());
        o.put("total_bytes", v.totalBytes());
        o.put("created_at", v.createdAt() == null ? null : v.createdAt().toString());
        o.put("published_at", v.publishedAt() == null ? null : v.publishedAt().toString());
        o.put("deprecated_at", v.deprecatedAt() == null ? null : v.deprecatedAt().toString());
        o.put("retired_at", v.retiredAt() == null ? null : v.retiredAt().toString());
        if (withFiles) {
            ArrayNode files = o.putArray("files");
            v.files().forEach((path, sha) -> files.addObject().put("path", path).put("sha256", sha)
                    .put("size_bytes", v.sizes().get(path)));
        }
        return o;
    }

    static ObjectNode adapter(CatalogService.AdapterView a, boolean detail) {
        ObjectNode o = JSON.createObjectNode();
        CatalogRepository.VersionRow latest = a.versions().get(a.versions().size() - 1);
        o.put("object", "catalog.adapter");
        o.put("id", a.id());
        o.put("provider", a.provider());
        o.put("latest_version", latest.version());
        o.put("base_model", latest.baseModel());
        o.put("display_name", latest.displayName());
        o.put("license", latest.license());
        ArrayNode tags = o.putArray("tags");
        latest.tags().forEach(tags::add);
        ArrayNode versions = o.putArray("versions");
        a.versions().forEach(v -> versions.add(detail ? version(v, true)
                : JSON.createObjectNode().put("version", v.version()).put("status", v.status())));
        if (a.usage() != null) {
            ObjectNode usage = o.putObject("usage_30d");
            usage.put("requests", a.usage()[0]);
            usage.put("tokens", a.usage()[1]);
            usage.put("distinct_tenants", a.usage()[2]);
        }
        return o;
    }

    static ObjectNode list(List<ObjectNode> items) {
        ObjectNode o = JSON.createObjectNode();
        o.put("object", "list");
        ArrayNode data = o.putArray("data");
        items.forEach(data::add);
        return o;
    }
}
