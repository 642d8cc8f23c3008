package io.maas.gateway.api;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import io.maas.gateway.auth.Caller;
import io.maas.gateway.auth.MembershipService;
import io.maas.gateway.auth.Roles;
import io.maas.gateway.auth.TenantMemberEntity;
import io.maas.gateway.openai.WireJson;
import io.quarkus.security.identity.SecurityIdentity;

/**
 * {@code /v1/members}: the people and service accounts of a tenant (by OIDC subject and/or email) and their
 * role, managed by the tenant's admins (platform admins: any tenant's). A Keycloak token without a
 * {@code tenant_id} claim acts for the tenant its membership names.
 */
@Path("/v1/members")
@Produces(MediaType.APPLICATION_JSON)
@RolesAllowed({ Roles.TENANT_ADMIN, Roles.PLATFORM_ADMIN })
public class MembersResource {
    @Inject
    MembershipService members;
    @Inject
    SecurityIdentity identity;

    /** Body of {@code POST /v1/members}: a subject, an email, or both; role defaults to tenant-member. */
    public record AddMemberRequest(String subject, String email, String role,
            @JsonProperty("tenant_id") String tenantId) {
    }

    /** Body of {@code PATCH /v1/members/{id}}. */
    public record ChangeRoleRequest(String role) {
    }

    /** A member as the API shows it. */
    public record MemberView(
            String id,
            String object,
            @JsonProperty("tenant_id") String tenantId,
            @JsonInclude(JsonInclude.Include.ALWAYS) String subject,
            @JsonInclude(JsonInclude.Include.ALWAYS) String email,
            String role,
            @JsonProperty("created_at") Instant createdAt,
            @JsonProperty("created_by") String createdBy) {

        static MemberView of(TenantMemberEntity m) {
            return new MemberView(m.id.toString(), "tenant_member", m.tenantId, m.subject, m.email, m.role,
                    m.createdAt, m.createdBy);
        }
    }

    /** The {@code list} object of {@code GET /v1/members}. */
    public record MemberList(String object, List<MemberView> data) {
    }

    @POST
    @Consumes(MediaType.WILDCARD)
    public Response add(byte[] body) {
        AddMemberRequest request = WireJson.read(body, AddMemberRequest.class);
        TenantMemberEntity member = members.add(Caller.of(identity), request.tenantId(), request.subject(),
                request.email(), request.role());
        return Response.status(201).entity(MemberView.of(member)).build();
    }

    @GET
    public MemberList list(@QueryParam("tenant_id") String tenantId) {
        return new MemberList("list", members.list(Caller.of(identity), tenantId).stream().map(MemberView::of)
                .toList());
    }

    @GET
    @Path("{id}")
    public MemberView get(@PathParam("id") String id) {
        return MemberView.of(members.get(Caller.of(identity), memberId(id)));
    }

    @PATCH
    @Path("{id}")
    @Consumes(MediaType.WILDCARD)
    public MemberView changeRole(@PathParam("id") String id, byte[] body) {
        ChangeRoleRequest request = WireJson.read(body, ChangeRoleRequest.class);
        return MemberView.of(members.changeRole(Caller.of(identity), memberId(id), request.role()));
    }

    /** Removes the member: their tokens no longer act for the tenant (within the membership cache TTL elsewhere). */
    @DELETE
    @Path("{id}")
    public Response remove(@PathParam("id") String id) {
        members.remove(Caller.of(identity), memberId(id));
        return Response.noContent().build();
    }

    private static UUID memberId(String id) {
        try {
            return UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            throw new OpenAiException(404, OpenAiException.INVALID_REQUEST, "No member with id '" + id + "'.", null,
                    "not_found");
        }
    }
}
