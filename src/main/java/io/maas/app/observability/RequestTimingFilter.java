package io.maas.app.observability;

import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import jakarta.ws.rs.container.ContainerRequestContext;

import org.jboss.resteasy.reactive.server.ServerRequestFilter;

import io.maas.gateway.api.RequestIds;
import io.quarkus.vertx.http.runtime.filters.Filters;
import io.vertx.ext.web.RoutingContext;

/**
 * Opens a {@link RequestTimeline} when a request arrives (first route filter, so the total covers everything)
 * and closes it when the response has ended, streamed bodies included; links it to the request id once the
 * REST layer has assigned one ({@link RequestIds}).
 */
@Singleton
public class RequestTimingFilter {
    static final String KEY = "maas.timeline";
    /** Before every other route filter (they run highest priority first). */
    private static final int FIRST = 100_000;

    @Inject
    RequestTimelines timelines;

    void register(@Observes Filters filters) {
        filters.register(this::open, FIRST);
    }

    private void open(RoutingContext rc) {
        RequestTimeline t = timelines.begin(rc.request().method().name(), rc.normalizedPath(), System.nanoTime());
        rc.put(KEY, t);
        rc.addEndHandler(done -> timelines.ended(t, rc.response().getStatusCode()));
        rc.next();
    }

    @ServerRequestFilter
    public void link(ContainerRequestContext request, RoutingContext rc) {
        RequestTimeline t = rc.get(KEY);
        if (t != null) {
            timelines.link(RequestIds.of(request), t);
        }
    }
}
