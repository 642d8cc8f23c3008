package io.maas.admin.audit;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.maas.gateway.auth.Caller;
import io.quarkus.panache.common.Sort;

/**
 * Writes and reads the audit log. {@link #record} joins the caller's transaction (it refuses to run
 * without one), so an action and its audit entry commit or roll back together.
 */
@ApplicationScoped
public class AuditLog {
    public static final int MAX_LIMIT = 1000;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Records one action of {@code caller}; {@code details} must hold nothing secret. */
    @Transactional(Transactional.TxType.MANDATORY)
    public void record(Caller caller, String action, String targetType, String targetId, String targetTenantId,
            Map<String, ?> details) {
        AuditEntryEntity entry = new AuditEntryEntity();
        entry.occurredAt = Instant.now();
        entry.actor = caller.principal();
        entry.actorTenantId = caller.tenantId();
        entry.action = action;
        entry.targetType = targetType;
        entry.targetId = targetId;
        entry.targetTenantId = targetTenantId;
        entry.details = json(details);
        entry.persist();
    }

    /** Newest first, optionally only entries about one tenant's objects. */
    @Transactional
    public List<AuditEntryEntity> recent(Optional<String> targetTenantId, int limit) {
        Sort newestFirst = Sort.descending("occurredAt", "id");
        return (targetTenantId.isPresent()
                ? AuditEntryEntity.<AuditEntryEntity>find("targetTenantId", newestFirst, targetTenantId.get())
                : AuditEntryEntity.<AuditEntryEntity>findAll(newestFirst))
                .page(0, limit).list();
    }

    private static String json(Map<String, ?> details) {
        if (details == null || details.isEmpty()) {
            return null;
        }
        try {
            return JSON.writeValueAsString(details);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("audit details must be plain JSON values", e);
        }
    }
}
