package io.maas.admin.api;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import com.fasterxml.jackson.annotation.JsonProperty;

import io.maas.gateway.auth.Roles;
import io.maas.gateway.routing.WorkerFleet;

/** {@code GET /admin/fleet}: this gateway's view of its workers and how it placed requests (platform admins). */
@Path("/admin/fleet")
@Produces(MediaType.APPLICATION_JSON)
@RolesAllowed(Roles.PLATFORM_ADMIN)
public class FleetAdminResource {
    @Inject
    WorkerFleet fleet;

    /** One configured worker as the gateway last saw it; the reported fields are null until it answered a poll. */
    public record WorkerRow(
            String url,
            String state,
            List<String> models,
            Map<String, List<String>> adapters,
            Integer queued,
            Integer running,
            @JsonProperty("worker_in_flight") Integer workerInFlight,
            Boolean draining,
            @JsonProperty("gateway_in_flight") int gatewayInFlight,
            @JsonProperty("polled_at") Instant polledAt,
            String error) {

        static WorkerRow of(WorkerFleet.WorkerView v) {
            var s = v.status();
            return new WorkerRow(v.url(), v.state().name().toLowerCase(), s == null ? null : s.models(),
                    s == null ? null : s.adapters(), s == null ? null : s.queued(), s == null ? null : s.running(),
                    s == null ? null : s.inFlight(), s == null ? null : s.draining(), v.gatewayInFlight(),
                    v.polledAt(), v.error());
        }
    }

    /** Whether generation goes to workers, each worker, and the routing counters since start. */
    public record FleetView(boolean enabled, List<WorkerRow> workers, Map<String, Long> routing) {
    }

    @GET
    public FleetView fleet() {
        return new FleetView(fleet.enabled(), fleet.view().stream().map(WorkerRow::of).toList(), fleet.routingCounts());
    }
}
