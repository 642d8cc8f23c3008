package io.maas.gateway.auth;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;

import io.maas.admin.audit.AuditLog;
import io.maas.gateway.api.OpenAiException;
import io.quarkus.panache.common.Sort;

/** Creates and lists tenants (platform admins only; the resource's rule is checked again here). */
@ApplicationScoped
public class TenantService {
    static final Pattern TENANT_ID = Pattern.compile("[a-z0-9][a-z0-9-]{1,63}");
    static final int NAME_MAX_CHARS = 200;

    @Inject
    AuditLog audit;

    @Transactional
    public TenantEntity create(Caller caller, String id, String name) {
        requirePlatformAdmin(caller);
        if (id == null || !TENANT_ID.matcher(id).matches()) {
            throw OpenAiException.invalidValue(
                    "'id' must be 2-64 characters of lowercase letters, digits and '-', starting with a letter or digit.",
                    "id");
        }
        String cleanName = KeyManagementService.requireName(name);
        if (TenantEntity.findById(id) != null) {
            throw new OpenAiException(409, OpenAiException.INVALID_REQUEST, "A tenant with id '" + id + "' exists.",
                    "id", "tenant_exists");
        }
        TenantEntity tenant = new TenantEntity();
        tenant.id = id;
        tenant.name = cleanName;
        tenant.createdAt = Instant.now();
        tenant.persist();
        audit.record(caller, "tenant.create", "tenant", id, id, Map.of("name", cleanName));
        return tenant;
    }

    @Transactional
    public List<TenantEntity> list(Caller caller) {
        requirePlatformAdmin(caller);
        return TenantEntity.listAll(Sort.ascending("id"));
    }

    /** One page of a tenant search: the tenants on it and how many match in all. */
    public record TenantPage(List<TenantEntity> tenants, long total) {
    }

    /**
     * Tenants whose id or name contains {@code query} (case-insensitive; blank matches all), by id, page
     * {@code page} (from 0) of {@code size} (1 to 200).
     */
    @Transactional
    public TenantPage search(Caller caller, String query, int page, int size) {
        requirePlatformAdmin(caller);
        String text = query == null ? "" : query.trim().toLowerCase(java.util.Locale.ROOT);
        // The query is matched literally: its own % and _ are escaped.
        String pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%";
        var found = TenantEntity.<TenantEntity>find("lower(id) like ?1 escape '\\' or lower(name) like ?1 escape '\\'",
                Sort.ascending("id"), pattern);
        int bounded = Math.max(1, Math.min(size, 200));
        return new TenantPage(found.page(Math.max(0, page), bounded).list(), found.count());
    }

    @Transactional
    public TenantEntity get(Caller caller, String id) {
        requirePlatformAdmin(caller);
        TenantEntity tenant = TenantEntity.findById(id);
        if (tenant == null) {
            throw KeyManagementService.notFound("tenant", id);
        }
        return tenant;
    }

    private static void requirePlatformAdmin(Caller caller) {
        if (!caller.isPlatformAdmin()) {
            throw new io.quarkus.security.ForbiddenException("tenants are managed by platform admins");
        }
    }
}
