package io.maas.fleet.api;

import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;

import org.eclipse.microprofile.openapi.annotations.Operation;

import io.maas.fleet.FleetWire;
import io.maas.fleet.worker.WorkerService;
import io.maas.gateway.api.OpenAiException;
import io.vertx.core.http.HttpServerResponse;

/**
 * The worker's internal API, for gateways only: authenticated by the shared secret {@code maas.fleet.internal-token}
 * in {@value FleetWire#TOKEN_HEADER}, never by API keys (docs/adr/0014-worker-fleet.md).
 */
@Path("/internal/v1")
public class WorkerResource {
    @Inject
    WorkerService worker;

    @POST
    @Path("generate")
    @Consumes(MediaType.WILDCARD)
    @Produces(FleetWire.NDJSON)
    @Operation(hidden = true)
    public Response generate(byte[] body, @HeaderParam(FleetWire.TOKEN_HEADER) String token,
            @Context HttpServerResponse response) {
        worker.authorize(token);
        FleetWire.Work work;
        try {
            work = FleetWire.JSON.readValue(body, FleetWire.Work.class);
        } catch (java.io.IOException e) {
            throw OpenAiException.invalidRequest("The work item is not valid JSON: " + e.getMessage(), null);
        }
        WorkerService.Prepared prepared = worker.prepare(work);
        StreamingOutput lines = out -> worker.stream(prepared, out, response::closed);
        return Response.ok(lines, FleetWire.NDJSON).header("Cache-Control", "no-cache").build();
    }

    @POST
    @Path("embeddings")
    @Consumes(MediaType.WILDCARD)
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(hidden = true)
    public Response embeddings(byte[] body, @HeaderParam(FleetWire.TOKEN_HEADER) String token) {
        worker.authorize(token);
        FleetWire.EmbedWork work;
        try {
            work = FleetWire.JSON.readValue(body, FleetWire.EmbedWork.class);
        } catch (java.io.IOException e) {
            throw OpenAiException.invalidRequest("The work item is not valid JSON: " + e.getMessage(), null);
        }
        return Response.ok(FleetWire.write(worker.embed(work)), MediaType.APPLICATION_JSON_TYPE).build();
    }

    @GET
    @Path("status")
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(hidden = true)
    public Response status(@HeaderParam(FleetWire.TOKEN_HEADER) String token) {
        worker.authorize(token);
        return Response.ok(FleetWire.write(worker.status()), MediaType.APPLICATION_JSON_TYPE).build();
    }
}
