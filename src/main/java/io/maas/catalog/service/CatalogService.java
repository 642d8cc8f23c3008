package io.maas.catalog.service;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;

import org.jboss.logging.Logger;

import io.maas.catalog.CatalogRejection;
import io.maas.catalog.signing.ManifestSignature;
import io.maas.billing.pricebook.PriceBookService;
import io.maas.billing.rating.ChargeModelType;
import io.maas.billing.rating.ModelRef;
import io.maas.billing.rating.PriceEntry;
import io.maas.billing.rating.PriceTier;
import io.maas.gateway.api.OpenAiException;
import io.quarkus.narayana.jta.QuarkusTransaction;

/**
 * The catalog as callers see it (who sees which versions), the version lifecycle draft → published → deprecated →
 * retired (forward only), providers' signing keys and the license policy.
 */
@ApplicationScoped
public class CatalogService {
    private static final Logger LOG = Logger.getLogger(CatalogService.class);
    /** Allowed lifecycle moves. */
    private static final Map<String, Set<String>> NEXT = Map.of(
            "draft", Set.of("published"),
            "published", Set.of("deprecated", "retired"),
            "deprecated", Set.of("retired"),
            "retired", Set.of());
    public static final int USAGE_DAYS = 30;

    @Inject
    CatalogRepository repo;
    @Inject
    CatalogAdapters serving;
    @Inject
    PriceBookService prices;

    /** Who is looking: a tenant (maybe a provider), or a platform admin who sees everything. */
    public record Viewer(String tenantId, boolean provider, boolean admin) {
        boolean owns(CatalogRepository.VersionRow v) {
            return admin || (provider && v.provider().equals(tenantId));
        }

        boolean sees(CatalogRepository.VersionRow v) {
            if (owns(v)) {
                return true;
            }
            return !v.status().equals("draft") && (v.visibility().equals("public") || v.tenants().contains(tenantId));
        }
    }

    /** Search filters; null = any. {@code mine} keeps only the viewer's own adapters (providers). */
    public record Filter(String base, String tag, String provider, String license, String query, boolean mine) {
    }

    /** One adapter and the versions the viewer may see (ascending semver). */
    public record AdapterView(String id, String provider, List<CatalogRepository.VersionRow> versions, long[] usage) {
    }

    public List<AdapterView> list(Viewer viewer, Filter f) {
        Map<String, List<CatalogRepository.VersionRow>> byAdapter = new LinkedHashMap<>();
        for (CatalogRepository.VersionRow v : repo.versions(null, true)) {
            if (viewer.sees(v) && (!f.mine() || v.provider().equals(viewer.tenantId()))) {
                byAdapter.computeIfAbsent(v.adapterId(), k -> new ArrayList<>()).add(v);
            }
        }
        List<AdapterView> out = new ArrayList<>();
        for (Map.Entry<String, List<CatalogRepository.VersionRow>> e : byAdapter.entrySet()) {
            CatalogRepository.VersionRow latest = e.getValue().get(e.getValue().size() - 1);
            if (matches(latest, f)) {
                out.add(new AdapterView(e.getKey(), latest.provider(), e.getValue(), null));
            }
        }
        return out;
    }

    private static boolean matches(CatalogRepository.VersionRow v, Filter f) {
        String q = f.query() == null ? null : f.query().toLowerCase(Locale.ROOT);
        return (f.base() == null || v.baseModel().equals(f.base()))
                && (f.tag() == null || v.tags().contains(f.tag()))
                && (f.provider() == null || v.provider().equals(f.provider()))
                && (f.license() == null || v.license().equalsIgnoreCase(f.license()))
                && (q == null || v.adapterId().contains(q) || v.displayName().toLowerCase(Locale.ROOT).contains(q)
                        || v.description().toLowerCase(Locale.ROOT).contains(q));
    }

    /** One adapter with every version the viewer may see and its usage over the last 30 days; 404 otherwise. */
    public AdapterView detail(Viewer viewer, String id) {
        List<CatalogRepository.VersionRow> versions = repo.versions(id, true).stream().filter(viewer::sees).toList();
        if (versions.isEmpty()) {
            throw new OpenAiException(404, OpenAiException.INVALID_REQUEST, "No adapter '" + id + "' in the catalog.",
                    "id", "adapter_not_found");
        }
        return new AdapterView(id, versions.get(0).provider(), versions, repo.usage(id, USAGE_DAYS));
    }

    /**
     * Moves a version forward in its lifecycle. Only its provider or a platform admin may; the successor of a
     * deprecated or retired version must be a served version. Publishing enters the proposed price in the price
     * book for that version (effective now), so its usage is rated at it.
     */
    public CatalogRepository.VersionRow transition(Viewer viewer, String id, String version, String status,
            String successor) {
        CatalogRepository.VersionRow changed = QuarkusTransaction.requiringNew()
                .call(() -> transitionInTransaction(viewer, id, version, status, successor));
        serving.invalidate(); // after the commit: a reload now sees the change
        return changed;
    }

    private CatalogRepository.VersionRow transitionInTransaction(Viewer viewer, String id, String version,
            String status, String successor) {
        CatalogRepository.VersionRow v = repo.versions(id, true).stream().filter(r -> r.version().equals(version))
                .filter(viewer::sees).findFirst().orElseThrow(() -> new OpenAiException(404,
                        OpenAiException.INVALID_REQUEST, "No version '" + id + "@" + version + "' in the catalog.",
                        "version", "adapter_not_found"));
        if (!viewer.owns(v)) {
            throw new OpenAiException(403, OpenAiException.PERMISSION, "Only the adapter's provider or a platform admin"
                    + " may change its lifecycle.", null, "not_adapter_provider");
        }
        if (status == null || !NEXT.containsKey(status)) {
            throw OpenAiException.invalidValue("'status' must be published, deprecated or retired.", "status");
        }
        if (!NEXT.get(v.status()).contains(status)) {
            throw new CatalogRejection(409, "invalid_transition", v.servedId() + " is " + v.status()
                    + " and cannot become " + status + " (draft → published → deprecated → retired)");
        }
        if (successor != null) {
            boolean served = repo.versions(null, false).stream().anyMatch(r -> r.servedId().equals(successor)
                    && (r.status().equals("published") || r.status().equals("deprecated")))
                    && !successor.equals(v.servedId());
            if (!served) {
                throw OpenAiException.invalidValue("'successor' must name another published version as id@version.",
                        "successor");
            }
        }
        repo.setStatus(id, version, status, successor);
        if (status.equals("published") && v.priceInput() != null) {
            prices.create(new PriceEntry(ModelRef.adapter(v.baseModel(), v.servedId()), Instant.now(),
                    ChargeModelType.FLAT, List.of(PriceTier.unbounded(v.priceInput(), v.priceOutput()))), Instant.now());
        }
        LOG.infof("catalog: %s %s -> %s%s", v.servedId(), v.status(), status,
                successor == null ? "" : " (successor " + successor + ")");
        return repo.versions(id, true).stream().filter(r -> r.version().equals(version)).findFirst().orElseThrow();
    }

    @Transactional
    public void registerKey(String provider, String publicKeyBase64) {
        if (publicKeyBase64 == null || ManifestSignature.parsePublicKey(publicKeyBase64) == null) {
            throw OpenAiException.invalidValue("'public_key' must be an Ed25519 public key in base64 (32 raw bytes or"
                    + " an X.509 SubjectPublicKeyInfo).", "public_key");
        }
        repo.putProviderKey(provider, publicKeyBase64.trim());
    }

    public Map<String, String> licenses() {
        return repo.licenses();
    }

    @Transactional
    public void setLicense(String spdx, String decision) {
        if (decision == null || !(decision.equals("allow") || decision.equals("deny"))) {
            throw OpenAiException.invalidValue("'decision' must be allow or deny.", "decision");
        }
        if (!spdx.matches("[A-Za-z0-9.+-]{1,64}")) {
            throw OpenAiException.invalidValue("not an SPDX license id: " + spdx, "spdx_id");
        }
        repo.putLicense(spdx, decision);
    }

    public List<CatalogRepository.RetiredReservation> reservationsOnRetired() {
        return repo.reservationsOnRetired();
    }
}
