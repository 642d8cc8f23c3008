package io.maas.admin.api;

import java.time.Instant;

import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

import io.maas.billing.invoice.Invoice;
import io.maas.billing.invoice.InvoiceService;
import io.maas.gateway.api.OpenAiException;
import io.maas.gateway.auth.Roles;

/** {@code /admin/billing/invoices} and provider statements: list, view (JSON or CSV), finalize. */
@Path("/admin/billing")
@Produces(MediaType.APPLICATION_JSON)
@RolesAllowed(Roles.PLATFORM_ADMIN)
public class InvoiceAdminResource {
    @Inject
    InvoiceService invoices;

    @GET
    @Path("invoices")
    public BillingApiMapper.ListDto<BillingApiMapper.InvoiceSummaryDto> list(@QueryParam("tenant") String tenant,
            @QueryParam("period") String period, @QueryParam("status") String status,
            @QueryParam("limit") @DefaultValue("100") int limit) {
        if (status != null && !status.equals(Invoice.DRAFT) && !status.equals(Invoice.FINALIZED)) {
            throw OpenAiException.invalidValue("'status' must be draft or finalized.", "status");
        }
        if (limit < 1 || limit > InvoiceService.MAX_LIMIT) {
            throw OpenAiException.invalidValue("'limit' must be between 1 and " + InvoiceService.MAX_LIMIT + ".", "limit");
        }
        return new BillingApiMapper.ListDto<>(invoices.list(blankToNull(tenant),
                period == null ? null : BillingApiMapper.period(period, "period"), status, limit).stream()
                .map(BillingApiMapper::toDto).toList());
    }

    @GET
    @Path("invoices/{tenant}/{period}")
    public BillingApiMapper.InvoiceDto view(@PathParam("tenant") String tenant, @PathParam("period") String period) {
        return BillingApiMapper.toDto(invoices.view(tenant, BillingApiMapper.period(period, "period")));
    }

    @GET
    @Path("invoices/{tenant}/{period}.csv")
    @Produces("text/csv")
    public String csv(@PathParam("tenant") String tenant, @PathParam("period") String period) {
        return InvoiceService.csv(invoices.view(tenant, BillingApiMapper.period(period, "period")));
    }

    @POST
    @Path("invoices/{tenant}/{period}/finalize")
    public BillingApiMapper.InvoiceDto finalizeInvoice(@PathParam("tenant") String tenant,
            @PathParam("period") String period) {
        return BillingApiMapper.toDto(invoices.finalizeInvoice(tenant, BillingApiMapper.period(period, "period"),
                Instant.now()));
    }

    /** Finalizes every draft of an ended period (what a scheduler would call after each month). */
    @POST
    @Path("invoices/finalize-due")
    public BillingApiMapper.ListDto<BillingApiMapper.InvoiceDto> finalizeDue() {
        return new BillingApiMapper.ListDto<>(invoices.finalizeDue(Instant.now()).stream().map(BillingApiMapper::toDto)
                .toList());
    }

    /** Provider statements of a period: usage per adapter, and each provider's earnings, payouts and balance. */
    @GET
    @Path("provider-statements")
    public BillingApiMapper.StatementDto statements(@QueryParam("period") String period,
            @QueryParam("provider") String provider) {
        return BillingApiMapper.toDto(invoices.providerStatement(blankToNull(provider),
                BillingApiMapper.period(period, "period")));
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
