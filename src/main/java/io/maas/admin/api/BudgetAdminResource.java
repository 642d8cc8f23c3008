package io.maas.admin.api;

import java.time.Instant;
import java.util.List;

import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

import com.fasterxml.jackson.annotation.JsonProperty;

import io.maas.billing.budget.Budget;
import io.maas.billing.budget.BudgetRepository;
import io.maas.billing.budget.BudgetService;
import io.maas.billing.budget.TokenQuotas;
import io.maas.gateway.auth.Roles;

/** {@code /admin/billing/budgets} and {@code /admin/billing/budget-alerts}: tenant budgets and the alerts raised. */
@Path("/admin/billing")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@RolesAllowed(Roles.PLATFORM_ADMIN)
public class BudgetAdminResource {
    @Inject
    BudgetService budgets;

    /** A budget to set. */
    public record BudgetRequest(@JsonProperty("monthly_budget_micros") Long monthlyBudgetMicros,
            @JsonProperty("alert_thresholds_pct") List<Integer> alertThresholdsPct,
            @JsonProperty("hard_limit") Boolean hardLimit) {
    }

    public record BudgetDto(@JsonProperty("tenant_id") String tenantId,
            @JsonProperty("monthly_budget_micros") long monthlyBudgetMicros,
            @JsonProperty("alert_thresholds_pct") List<Integer> alertThresholdsPct,
            @JsonProperty("hard_limit") boolean hardLimit, String period,
            @JsonProperty("month_to_date_micros") long monthToDateMicros) {
        static BudgetDto of(BudgetService.Status s) {
            return new BudgetDto(s.budget().tenantId(), s.budget().monthlyBudgetMicros(), s.budget().alertThresholdsPct(),
                    s.budget().hardLimit(), s.period().toString(), s.monthToDateMicros());
        }
    }

    public record AlertDto(@JsonProperty("tenant_id") String tenantId, String period,
            @JsonProperty("threshold_pct") int thresholdPct,
            @JsonProperty("month_to_date_micros") long monthToDateMicros,
            @JsonProperty("budget_micros") long budgetMicros, @JsonProperty("raised_at") Instant raisedAt) {
        static AlertDto of(BudgetRepository.Alert a) {
            return new AlertDto(a.tenantId(), a.period().toString(), a.thresholdPct(), a.monthToDateMicros(),
                    a.budgetMicros(), a.raisedAt());
        }
    }

    @PUT
    @Path("budgets/{tenant}")
    public BudgetDto set(@PathParam("tenant") String tenant, BudgetRequest request) {
        BudgetRequest r = BillingApiMapper.required(request);
        Budget budget = new Budget(tenant, r.monthlyBudgetMicros() == null ? 0 : r.monthlyBudgetMicros(),
                r.alertThresholdsPct() == null ? List.of(50, 80, 100) : r.alertThresholdsPct(),
                Boolean.TRUE.equals(r.hardLimit()));
        return BudgetDto.of(budgets.set(budget, Instant.now()));
    }

    @GET
    @Path("budgets")
    public BillingApiMapper.ListDto<BudgetDto> list() {
        return new BillingApiMapper.ListDto<>(budgets.list(Instant.now()).stream().map(BudgetDto::of).toList());
    }

    /** A monthly token quota to set. */
    public record TokenQuotaRequest(@JsonProperty("monthly_tokens") Long monthlyTokens) {
    }

    /** A tenant's monthly token quota and its tokens used this month (from the usage rollups). */
    public record TokenQuotaDto(@JsonProperty("tenant_id") String tenantId,
            @JsonProperty("monthly_tokens") long monthlyTokens, @JsonProperty("used_tokens") long usedTokens,
            boolean reached) {
        static TokenQuotaDto of(TokenQuotas.Quota q) {
            return new TokenQuotaDto(q.tenantId(), q.monthlyTokens(), q.usedTokens(), q.reached());
        }
    }

    /** Sets a tenant's monthly token quota: once its tokens of the month reach it, completions get 429. */
    @PUT
    @Path("token-quotas/{tenant}")
    public TokenQuotaDto setTokenQuota(@PathParam("tenant") String tenant, TokenQuotaRequest request) {
        TokenQuotaRequest r = BillingApiMapper.required(request);
        return TokenQuotaDto.of(budgets.setTokenQuota(tenant, r.monthlyTokens() == null ? 0 : r.monthlyTokens(),
                Instant.now()));
    }

    @GET
    @Path("token-quotas")
    public BillingApiMapper.ListDto<TokenQuotaDto> tokenQuotas() {
        return new BillingApiMapper.ListDto<>(budgets.tokenQuotas(Instant.now()).stream().map(TokenQuotaDto::of)
                .toList());
    }

    @GET
    @Path("budget-alerts")
    public BillingApiMapper.ListDto<AlertDto> alerts(@QueryParam("tenant") String tenant,
            @QueryParam("limit") @DefaultValue("100") int limit) {
        return new BillingApiMapper.ListDto<>(budgets.alerts(tenant == null || tenant.isBlank() ? null : tenant, limit)
                .stream().map(AlertDto::of).toList());
    }
}
