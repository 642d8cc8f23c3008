package io.maas.admin.api;

import java.net.URI;
import java.time.Instant;

import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import io.maas.billing.payout.PayoutService;
import io.maas.billing.payout.Payouts;
import io.maas.gateway.api.OpenAiException;
import io.maas.gateway.auth.Roles;

/** {@code /admin/billing/payouts}: record a provider payout (idempotent by the client's id) and list payouts. */
@Path("/admin/billing/payouts")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@RolesAllowed(Roles.PLATFORM_ADMIN)
public class PayoutAdminResource {
    @Inject
    PayoutService payouts;

    /** 201 with the payout; 200 with the first payout when the same request (same id and content) is repeated. */
    @POST
    public Response record(BillingApiMapper.PayoutRequest body) {
        BillingApiMapper.PayoutRequest r = BillingApiMapper.required(body);
        if (r.amountMicros() == null) {
            throw OpenAiException.invalidValue("'amount_micros' is required.", "amount_micros");
        }
        Payouts.Recorded recorded = payouts.record(r.id(), r.providerId(), BillingApiMapper.period(r.period(), "period"),
                r.amountMicros(), r.reference(), Instant.now());
        BillingApiMapper.PayoutDto dto = BillingApiMapper.toDto(recorded.payout());
        return recorded.created()
                ? Response.created(URI.create("/admin/billing/payouts?provider=" + dto.providerId())).entity(dto).build()
                : Response.ok(dto).build();
    }

    @GET
    public BillingApiMapper.ListDto<BillingApiMapper.PayoutDto> list(@QueryParam("provider") String provider,
            @QueryParam("period") String period, @QueryParam("limit") @DefaultValue("100") int limit) {
        if (limit < 1 || limit > PayoutService.MAX_LIMIT) {
            throw OpenAiException.invalidValue("'limit' must be between 1 and " + PayoutService.MAX_LIMIT + ".", "limit");
        }
        return new BillingApiMapper.ListDto<>(payouts.list(provider == null || provider.isBlank() ? null : provider,
                period == null ? null : BillingApiMapper.period(period, "period"), limit).stream()
                .map(BillingApiMapper::toDto).toList());
    }
}
