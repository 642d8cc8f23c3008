package io.maas.admin.api;

import java.time.Instant;
import java.time.temporal.ChronoUnit;

import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import io.maas.billing.reservation.ReservationService;
import io.maas.gateway.auth.Roles;

/** {@code /admin/billing/reservations}: create, cancel, and list with the current month's burn-down. */
@Path("/admin/billing/reservations")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@RolesAllowed(Roles.PLATFORM_ADMIN)
public class ReservationAdminResource {
    @Inject
    ReservationService reservations;

    @GET
    public BillingApiMapper.ListDto<BillingApiMapper.ReservationDto> list(@QueryParam("tenant") String tenant) {
        String tenantId = tenant == null || tenant.isBlank() ? null : tenant;
        return new BillingApiMapper.ListDto<>(reservations.list(tenantId, Instant.now()).stream()
                .map(BillingApiMapper::toDto).toList());
    }

    @POST
    public Response create(BillingApiMapper.ReservationRequest request) {
        var created = reservations.create(BillingApiMapper.toReservation(BillingApiMapper.required(request)), Instant.now());
        return Response.status(201).entity(BillingApiMapper.toDto(created)).build();
    }

    /** Ends the reservation at {@code ends_at}, or now (to the second) when absent. */
    @POST
    @Path("{id}/cancel")
    public BillingApiMapper.ReservationDto cancel(@PathParam("id") String id, BillingApiMapper.CancelRequest request) {
        Instant now = Instant.now();
        Instant endsAt = request == null || request.endsAt() == null ? now.truncatedTo(ChronoUnit.SECONDS).plusSeconds(1)
                : request.endsAt();
        return BillingApiMapper.toDto(reservations.cancel(id, endsAt, now));
    }
}
