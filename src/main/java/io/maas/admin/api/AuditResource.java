package io.maas.admin.api;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonRawValue;

import io.maas.admin.audit.AuditEntryEntity;
import io.maas.admin.audit.AuditLog;
import io.maas.gateway.api.OpenAiException;
import io.maas.gateway.auth.Roles;

/** {@code GET /admin/audit}: the audit log, newest first (platform admins). */
@Path("/admin/audit")
@Produces(MediaType.APPLICATION_JSON)
@RolesAllowed(Roles.PLATFORM_ADMIN)
public class AuditResource {
    @Inject
    AuditLog audit;

    /** One audit entry as the admin API shows it. */
    public record AuditView(
            long id,
            @JsonProperty("occurred_at") Instant occurredAt,
            String actor,
            @JsonProperty("actor_tenant_id") String actorTenantId,
            String action,
            @JsonProperty("target_type") String targetType,
            @JsonProperty("target_id") String targetId,
            @JsonProperty("target_tenant_id") String targetTenantId,
            @JsonRawValue String details) {

        static AuditView of(AuditEntryEntity e) {
            return new AuditView(e.id, e.occurredAt, e.actor, e.actorTenantId, e.action, e.targetType, e.targetId,
                    e.targetTenantId, e.details);
        }
    }

    /** The {@code list} object of {@code GET /admin/audit}. */
    public record AuditList(String object, List<AuditView> data) {
    }

    @GET
    public AuditList list(@QueryParam("tenant") String tenant, @QueryParam("limit") @DefaultValue("100") int limit) {
        if (limit < 1 || limit > AuditLog.MAX_LIMIT) {
            throw OpenAiException.invalidValue("'limit' must be between 1 and " + AuditLog.MAX_LIMIT + ".", "limit");
        }
        return new AuditList("list", audit.recent(Optional.ofNullable(tenant).filter(t -> !t.isBlank()), limit)
                .stream().map(AuditView::of).toList());
    }
}
