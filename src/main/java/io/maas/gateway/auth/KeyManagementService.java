package io.maas.gateway.auth;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;

import org.jboss.logging.Logger;

import io.maas.admin.audit.AuditLog;
import io.maas.gateway.api.OpenAiException;
import io.quarkus.panache.common.Sort;

/**
 * API key management for tenants: create (the secret is returned once), list, rename, scope, revoke.
 * Every read and write is filtered by the caller's tenant here, not only by the URL: a tenant admin sees
 * and changes only their own tenant's keys, and another tenant's key id answers 404 exactly like an id
 * that does not exist. Platform admins act on any tenant. Every change is audited in its transaction.
 */
@ApplicationScoped
public class KeyManagementService {
    private static final Logger LOG = Logger.getLogger(KeyManagementService.class);
    static final int MAX_ALLOWED_MODELS = 100;
    static final int MODEL_ID_MAX_CHARS = 200;
    /** Roles a tenant admin may give a key of their tenant. */
    static final Set<String> TENANT_KEY_ROLES = Set.of(Roles.TENANT_MEMBER, Roles.TENANT_ADMIN, Roles.PROVIDER);

    @Inject
    ApiKeyService keys;
    @Inject
    AuditLog audit;

    /** A change to a key: null fields are left as they are. */
    public record KeyUpdate(String name, List<String> allowedModels) {
    }

    @Transactional
    public ApiKeyService.CreatedKey create(Caller caller, String tenantId, String name, List<String> roles,
            List<String> allowedModels) {
        String tenant = targetTenant(caller, tenantId);
        if (TenantEntity.findById(tenant) == null) {
            throw notFound("tenant", tenant);
        }
        String cleanName = requireName(name);
        Set<String> cleanRoles = roles(caller, tenant, roles);
        String[] scope = allowedModels(allowedModels);
        ApiKeyService.CreatedKey created = keys.store(ApiKeySecrets.newSecret(), tenant, cleanName, cleanRoles);
        created.key().allowedModels = scope;
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("name", cleanName);
        details.put("prefix", created.key().keyPrefix);
        details.put("roles", List.copyOf(cleanRoles));
        details.put("allowed_models", List.of(scope));
        audit.record(caller, "api_key.create", "api_key", created.key().id.toString(), tenant, details);
        // Identified by id and visible prefix only: the secret never reaches a log.
        LOG.infof("API key %s (%s...) created for tenant %s by %s", created.key().id, created.key().keyPrefix, tenant,
                caller.principal());
        return created;
    }

    /** The keys of the caller's tenant (platform admins: of {@code tenantId}, or of every tenant when null). */
    @Transactional
    public List<ApiKeyEntity> list(Caller caller, String tenantId) {
        Sort sort = Sort.descending("createdAt").and("id");
        if (caller.isPlatformAdmin() && (tenantId == null || tenantId.isBlank())) {
            return ApiKeyEntity.listAll(sort);
        }
        return ApiKeyEntity.list("tenantId", sort, targetTenant(caller, tenantId));
    }

    @Transactional
    public ApiKeyEntity get(Caller caller, UUID keyId) {
        return visibleKey(caller, keyId);
    }

    @Transactional
    public ApiKeyEntity update(Caller caller, UUID keyId, KeyUpdate update) {
        ApiKeyEntity key = visibleKey(caller, keyId);
        Map<String, Object> details = new LinkedHashMap<>();
        if (update.name() != null) {
            String cleanName = requireName(update.name());
            details.put("name", Map.of("from", key.name, "to", cleanName));
            key.name = cleanName;
        }
        if (update.allowedModels() != null) {
            String[] scope = allowedModels(update.allowedModels());
            details.put("allowed_models", Map.of("from", List.of(key.allowedModels), "to", List.of(scope)));
            key.allowedModels = scope;
            keys.invalidate(key.keyHash);
        }
        if (!details.isEmpty()) {
            audit.record(caller, "api_key.update", "api_key", key.id.toString(), key.tenantId, details);
        }
        return key;
    }

    /** Revokes a key; revoking a revoked key changes nothing and is not audited again. */
    @Transactional
    public ApiKeyEntity revoke(Caller caller, UUID keyId) {
        ApiKeyEntity key = visibleKey(caller, keyId);
        if (key.revokedAt == null) {
            key.revokedAt = Instant.now();
            keys.invalidate(key.keyHash);
            audit.record(caller, "api_key.revoke", "api_key", key.id.toString(), key.tenantId,
                    Map.of("name", key.name, "prefix", key.keyPrefix));
            LOG.infof("API key %s (%s...) of tenant %s revoked by %s", key.id, key.keyPrefix, key.tenantId,
                    caller.principal());
        }
        return key;
    }

    /** The key if the caller may see it; 404 otherwise, whether it exists in another tenant or not at all. */
    private static ApiKeyEntity visibleKey(Caller caller, UUID keyId) {
        ApiKeyEntity key = ApiKeyEntity.findById(keyId);
        if (key == null || !(caller.isPlatformAdmin() || key.tenantId.equals(caller.tenantId()))) {
            throw notFound("API key", String.valueOf(keyId));
        }
        return key;
    }

    /** The tenant acted on: a platform admin may name any; everyone else acts on their own tenant only. */
    private static String targetTenant(Caller caller, String requested) {
        if (requested == null || requested.isBlank()) {
            return caller.tenantId();
        }
        if (!caller.isPlatformAdmin() && !requested.equals(caller.tenantId())) {
            // Same answer as for a tenant that does not exist: other tenants are not discoverable.
            throw notFound("tenant", requested);
        }
        return requested;
    }

    private static Set<String> roles(Caller caller, String tenant, List<String> requested) {
        if (requested == null || requested.isEmpty()) {
            return Set.of(Roles.TENANT_MEMBER);
        }
        Set<String> roles = new LinkedHashSet<>();
        for (String role : requested) {
            boolean platformRole = Roles.PLATFORM_ADMIN.equals(role) && caller.isPlatformAdmin()
                    && TenantEntity.PLATFORM_TENANT_ID.equals(tenant);
            if (!TENANT_KEY_ROLES.contains(role) && !platformRole) {
                throw OpenAiException.invalidValue("'roles' may hold only " + TENANT_KEY_ROLES
                        + " (platform-admin only on platform keys made by platform admins).", "roles");
            }
            roles.add(role);
        }
        return roles;
    }

    private static String[] allowedModels(List<String> requested) {
        if (requested == null) {
            return new String[0];
        }
        if (requested.size() > MAX_ALLOWED_MODELS) {
            throw OpenAiException.invalidValue("'allowed_models' may name at most " + MAX_ALLOWED_MODELS + " models.",
                    "allowed_models");
        }
        List<String> clean = new ArrayList<>();
        for (String model : requested) {
            if (model == null || model.isBlank() || model.length() > MODEL_ID_MAX_CHARS) {
                throw OpenAiException.invalidValue("'allowed_models' must hold model ids of 1-" + MODEL_ID_MAX_CHARS
                        + " characters.", "allowed_models");
            }
            if (!clean.contains(model)) {
                clean.add(model);
            }
        }
        return clean.toArray(String[]::new);
    }

    static String requireName(String name) {
        if (name == null || name.isBlank() || name.length() > TenantService.NAME_MAX_CHARS) {
            throw OpenAiException.invalidValue("'name' must be 1-" + TenantService.NAME_MAX_CHARS + " characters.",
                    "name");
        }
        return name.strip();
    }

    static OpenAiException notFound(String what, String id) {
        return new OpenAiException(404, OpenAiException.INVALID_REQUEST, "No " + what + " with id '" + id + "'.",
                null, "not_found");
    }
}
