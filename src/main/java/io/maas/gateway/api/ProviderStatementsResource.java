package io.maas.gateway.api;

import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

import io.maas.admin.api.BillingApiMapper;
import io.maas.billing.invoice.InvoiceService;
import io.maas.gateway.auth.Caller;
import io.maas.gateway.auth.Roles;
import io.quarkus.security.identity.SecurityIdentity;

/**
 * {@code GET /v1/provider/statements?period=YYYY-MM}: a provider's own statement (usage of its adapters, earnings,
 * payouts, balance). The provider id is the caller's tenant id (ADR 0012): a provider is a tenant, and the
 * {@code provider} its adapters name in {@code marketplace.json} is that tenant's id. No parameter selects another
 * provider.
 */
@Path("/v1/provider/statements")
@Produces(MediaType.APPLICATION_JSON)
@RolesAllowed(Roles.PROVIDER)
public class ProviderStatementsResource {
    @Inject
    InvoiceService invoices;
    @Inject
    SecurityIdentity identity;

    @GET
    public BillingApiMapper.StatementDto statement(@QueryParam("period") String period) {
        String providerId = Caller.of(identity).tenantId();
        return BillingApiMapper.toDto(invoices.providerStatement(providerId, BillingApiMapper.period(period, "period")));
    }
}
