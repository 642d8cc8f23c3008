package io.maas.admin.api;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

import com.fasterxml.jackson.annotation.JsonProperty;

import io.maas.billing.usage.UsageQueries;
import io.maas.billing.usage.UsageRecord;
import io.maas.gateway.api.OpenAiException;
import io.maas.gateway.auth.Roles;

/** {@code GET /admin/usage}: recorded usage, newest first, with totals (platform admins). */
@Path("/admin/usage")
@Produces(MediaType.APPLICATION_JSON)
@RolesAllowed(Roles.PLATFORM_ADMIN)
public class UsageAdminResource {
    @Inject
    UsageQueries usage;

    /** One usage record as the admin API shows it. */
    public record UsageRow(
            @JsonProperty("event_id") UUID eventId,
            @JsonProperty("tenant_id") String tenantId,
            @JsonProperty("api_key_id") UUID apiKeyId,
            @JsonProperty("base_model") String baseModel,
            String adapter,
            @JsonProperty("prompt_tokens") int promptTokens,
            @JsonProperty("completion_tokens") int completionTokens,
            String status,
            @JsonProperty("finish_reason") String finishReason,
            @JsonProperty("duration_ms") Long durationMs,
            @JsonProperty("occurred_at") Instant occurredAt) {

        static UsageRow of(UsageRecord r) {
            return new UsageRow(r.eventId, r.tenantId, r.apiKeyId, r.baseModel, r.adapter, r.tokensPrompt,
                    r.tokensCompletion, r.status, r.finishReason, r.durationMs, r.occurredAt);
        }
    }

    /** The page of rows and the totals over everything selected. */
    public record UsagePage(
            List<UsageRow> data,
            @JsonProperty("total_requests") long totalRequests,
            @JsonProperty("total_prompt_tokens") long totalPromptTokens,
            @JsonProperty("total_completion_tokens") long totalCompletionTokens) {
    }

    @GET
    public UsagePage list(@QueryParam("tenant") String tenant, @QueryParam("limit") @DefaultValue("100") int limit) {
        if (limit < 1 || limit > UsageQueries.MAX_LIMIT) {
            throw OpenAiException.invalidValue("'limit' must be between 1 and " + UsageQueries.MAX_LIMIT + ".", "limit");
        }
        Optional<String> tenantId = Optional.ofNullable(tenant).filter(t -> !t.isBlank());
        UsageQueries.Totals totals = usage.totals(tenantId);
        List<UsageRow> rows = usage.recent(tenantId, limit).stream().map(UsageRow::of).toList();
        return new UsagePage(rows, totals.requests(), totals.tokensPrompt(), totals.tokensCompletion());
    }
}
