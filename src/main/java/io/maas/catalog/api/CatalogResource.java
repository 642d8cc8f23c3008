package io.maas.catalog.api;

import java.io.InputStream;

import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.maas.catalog.service.CatalogRepository;
import io.maas.catalog.service.CatalogService;
import io.maas.catalog.service.PublishService;
import io.maas.gateway.api.OpenAiException;
import io.maas.gateway.auth.Caller;
import io.maas.gateway.auth.Roles;
import io.quarkus.security.identity.SecurityIdentity;

/**
 * {@code /v1/catalog}: the marketplace catalog. Providers upload adapter versions (the archive is the request body,
 * bounded by {@code maas.catalog.max-upload-bytes}) and move them through their lifecycle; every tenant searches
 * and reads what it may see.
 */
@Path("/v1/catalog")
@Produces(MediaType.APPLICATION_JSON)
public class CatalogResource {
    /** The upload route: its body bound is {@code maas.catalog.max-upload-bytes}, not the global 1M. */
    public static final String UPLOAD_PATH = "/v1/catalog/adapters";

    @Inject
    SecurityIdentity identity;
    @Inject
    PublishService publisher;
    @Inject
    CatalogService catalog;

    /** A lifecycle move. */
    public record StatusRequest(String status, String successor) {
    }

    /** A provider's Ed25519 public key. */
    public record KeyRequest(@JsonProperty("public_key") String publicKey) {
    }

    @POST
    @Path("adapters")
    @Consumes(MediaType.WILDCARD)
    @RolesAllowed({ Roles.PROVIDER, Roles.PLATFORM_ADMIN })
    public Response upload(InputStream body) {
        Caller caller = Caller.of(identity);
        CatalogRepository.VersionRow v = publisher.upload(
                new PublishService.Publisher(caller.tenantId(), caller.principal(), caller.isPlatformAdmin()), body);
        return Response.status(201).entity(CatalogApiMapper.version(v, true)).build();
    }

    @GET
    @Path("adapters")
    @RolesAllowed({ Roles.TENANT_MEMBER, Roles.TENANT_ADMIN, Roles.PROVIDER, Roles.PLATFORM_ADMIN })
    public ObjectNode list(@QueryParam("base_model") String base, @QueryParam("tag") String tag,
            @QueryParam("provider") String provider, @QueryParam("license") String license,
            @QueryParam("q") String query, @QueryParam("mine") boolean mine) {
        return CatalogApiMapper.list(catalog.list(viewer(), new CatalogService.Filter(base, tag, provider, license,
                query, mine)).stream().map(a -> CatalogApiMapper.adapter(a, false)).toList());
    }

    @GET
    @Path("adapters/{id}")
    @RolesAllowed({ Roles.TENANT_MEMBER, Roles.TENANT_ADMIN, Roles.PROVIDER, Roles.PLATFORM_ADMIN })
    public ObjectNode detail(@PathParam("id") String id) {
        return CatalogApiMapper.adapter(catalog.detail(viewer(), id), true);
    }

    @POST
    @Path("adapters/{id}/versions/{version}/status")
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed({ Roles.PROVIDER, Roles.PLATFORM_ADMIN })
    public ObjectNode transition(@PathParam("id") String id, @PathParam("version") String version,
            StatusRequest request) {
        if (request == null) {
            throw OpenAiException.invalidRequest("A JSON body {\"status\": ...} is required.", null);
        }
        return CatalogApiMapper.version(catalog.transition(viewer(), id, version, request.status(),
                request.successor()), true);
    }

    @PUT
    @Path("provider-key")
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed(Roles.PROVIDER)
    public Response registerKey(KeyRequest request) {
        Caller caller = Caller.of(identity);
        catalog.registerKey(caller.tenantId(), request == null ? null : request.publicKey());
        return Response.noContent().build();
    }

    private CatalogService.Viewer viewer() {
        Caller caller = Caller.of(identity);
        return new CatalogService.Viewer(caller.tenantId(), identity.hasRole(Roles.PROVIDER), caller.isPlatformAdmin());
    }
}
