package io.maas.catalog.api;

import java.nio.file.InvalidPathException;
import java.util.List;
import java.util.Map;

import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;


import io.maas.catalog.service.CatalogRepository;
import io.maas.catalog.service.CatalogService;
import io.maas.catalog.service.PublishService;
import io.maas.gateway.api.OpenAiException;
import io.maas.gateway.auth.Caller;
import io.maas.gateway.auth.Roles;
import io.quarkus.security.identity.SecurityIdentity;

/**
 * {@code /admin/catalog}: platform admins register adapters from a server-side path, manage the license policy and
 * see reservations left on retired adapters.
 */
@Path("/admin/catalog")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@RolesAllowed(Roles.PLATFORM_ADMIN)
public class CatalogAdminResource {
    @Inject
    SecurityIdentity identity;
    @Inject
    PublishService publisher;
    @Inject
    CatalogService catalog;
    @Inject
    io.maas.catalog.service.BaseModelService baseModels;

    /** A base model to register from a server-side folder or archive, served as {@code id}. */
    public record ModelRequest(String id, String path) {
    }

    /** A registered base model's file, for the listing. */
    public record ModelFile(String path, String sha256) {
    }

    /** A registered base model. */
    public record ModelDto(String id, List<ModelFile> files, long total_bytes, String created_by, String created_at) {
    }

    /** A folder or archive on the server; {@code provider} defaults to the manifest's, else the platform. */
    public record RegisterRequest(String path) {
    }

    /** A license policy decision. */
    public record LicenseRequest(String decision) {
    }

    /** A live reservation naming a retired adapter, with the version to move it to. */
    public record Flag(String reservation_id, String tenant_id, String scope_entry, String successor) {
    }

    @POST
    @Path("adapters")
    public Response register(RegisterRequest request) {
        if (request == null || request.path() == null || request.path().isBlank()) {
            throw OpenAiException.invalidRequest("'path' is required.", "path");
        }
        java.nio.file.Path path;
        try {
            path = java.nio.file.Path.of(request.path());
        } catch (InvalidPathException e) {
            throw OpenAiException.invalidValue("'path' is not a valid path.", "path");
        }
        Caller caller = Caller.of(identity);
        CatalogRepository.VersionRow v = publisher.register(
                new PublishService.Publisher(io.maas.gateway.inference.AdapterRegistry.PLATFORM_PROVIDER,
                        caller.principal(), true), path);
        return Response.status(201).entity(CatalogApiMapper.version(v, true)).build();
    }

    @POST
    @Path("models")
    public Response registerModel(ModelRequest request) {
        if (request == null || request.path() == null || request.path().isBlank()) {
            throw OpenAiException.invalidRequest("'id' and 'path' are required.", "path");
        }
        java.nio.file.Path path;
        try {
            path = java.nio.file.Path.of(request.path());
        } catch (InvalidPathException e) {
            throw OpenAiException.invalidValue("'path' is not a valid path.", "path");
        }
        io.maas.catalog.service.BaseModelService.Registered r = baseModels.register(request.id(), path,
                Caller.of(identity).principal());
        return Response.status(201).entity(new ModelDto(r.id(), r.files().stream()
                .map(f -> new ModelFile(f.path(), f.sha256())).toList(), r.totalBytes(), null, null)).build();
    }

    @GET
    @Path("models")
    public Map<String, Object> models() {
        return Map.of("object", "list", "data", baseModels.list().stream().map(m -> new ModelDto(m.id(),
                m.files().entrySet().stream().map(e -> new ModelFile(e.getKey(), e.getValue())).toList(),
                m.totalBytes(), m.createdBy(), String.valueOf(m.createdAt()))).toList());
    }

    @GET
    @Path("licenses")
    public Map<String, Object> licenses() {
        return Map.of("object", "list", "data", catalog.licenses().entrySet().stream()
                .map(e -> Map.of("spdx_id", e.getKey(), "decision", e.getValue())).toList());
    }

    @PUT
    @Path("licenses/{spdx}")
    public Map<String, String> setLicense(@PathParam("spdx") String spdx, LicenseRequest request) {
        catalog.setLicense(spdx, request == null ? null : request.decision());
        return Map.of("spdx_id", spdx, "decision", request.decision());
    }

    @GET
    @Path("retired-reservations")
    public Map<String, Object> retiredReservations() {
        List<Flag> flags = catalog.reservationsOnRetired().stream()
                .map(r -> new Flag(r.reservationId(), r.tenantId(), r.scopeEntry(), r.successor())).toList();
        return Map.of("object", "list", "data", flags);
    }
}
