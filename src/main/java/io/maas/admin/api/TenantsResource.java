package io.maas.admin.api;

import java.time.Instant;
import java.util.List;

import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import com.fasterxml.jackson.annotation.JsonProperty;

import io.maas.gateway.auth.Caller;
import io.maas.gateway.auth.Roles;
import io.maas.gateway.auth.TenantEntity;
import io.maas.gateway.auth.TenantService;
import io.maas.gateway.openai.WireJson;
import io.quarkus.security.identity.SecurityIdentity;

/** {@code /admin/tenants}: create and list tenants (platform admins). */
@Path("/admin/tenants")
@Produces(MediaType.APPLICATION_JSON)
@RolesAllowed(Roles.PLATFORM_ADMIN)
public class TenantsResource {
    @Inject
    TenantService tenants;
    @Inject
    SecurityIdentity identity;

    /** Body of {@code POST /admin/tenants}. */
    public record CreateTenantRequest(String id, String name) {
    }

    /** A tenant as the admin API shows it. */
    public record TenantView(String id, String object, String name, @JsonProperty("created_at") Instant createdAt) {
        static TenantView of(TenantEntity t) {
            return new TenantView(t.id, "tenant", t.name, t.createdAt);
        }
    }

    /** The {@code list} object of {@code GET /admin/tenants}. */
    public record TenantList(String object, List<TenantView> data) {
    }

    @POST
    @Consumes(MediaType.WILDCARD)
    public Response create(byte[] body) {
        CreateTenantRequest request = WireJson.read(body, CreateTenantRequest.class);
        TenantEntity tenant = tenants.create(Caller.of(identity), request.id(), request.name());
        return Response.status(201).entity(TenantView.of(tenant)).build();
    }

    @GET
    public TenantList list() {
        return new TenantList("list", tenants.list(Caller.of(identity)).stream().map(TenantView::of).toList());
    }

    @GET
    @Path("{id}")
    public TenantView get(@PathParam("id") String id) {
        return TenantView.of(tenants.get(Caller.of(identity), id));
    }
}
