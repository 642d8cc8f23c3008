package io.maas.admin.api;

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

import io.maas.billing.pricebook.PriceBookService;
import io.maas.gateway.auth.Roles;

/** {@code /admin/billing/prices} and {@code /admin/billing/unrated}: the price book and usage not yet rated. */
@Path("/admin/billing")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@RolesAllowed(Roles.PLATFORM_ADMIN)
public class PriceBookAdminResource {
    @Inject
    PriceBookService prices;

    @GET
    @Path("prices")
    public BillingApiMapper.ListDto<BillingApiMapper.PriceDto> list() {
        return new BillingApiMapper.ListDto<>(prices.list().stream().map(BillingApiMapper::toDto).toList());
    }

    @POST
    @Path("prices")
    public Response create(BillingApiMapper.PriceRequest request) {
        PriceBookService.Created created = prices.create(BillingApiMapper.toEntry(BillingApiMapper.required(request)),
                Instant.now());
        return Response.status(201).entity(BillingApiMapper.toDto(created.price())).build();
    }

    @GET
    @Path("unrated")
    public BillingApiMapper.ListDto<BillingApiMapper.UnratedDto> unrated(@QueryParam("limit") @DefaultValue("100") int limit) {
        return new BillingApiMapper.ListDto<>(prices.unrated(limit).stream().map(BillingApiMapper::toDto).toList());
    }
}
