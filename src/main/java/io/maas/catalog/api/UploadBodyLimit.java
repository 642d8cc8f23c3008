package io.maas.catalog.api;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import io.maas.app.config.MaasConfig;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * Gives the adapter upload route its own body bound ({@code maas.catalog.max-upload-bytes}) instead of the global
 * {@code quarkus.http.limits.max-body-size} (1M), which every other route keeps. The global bound is enforced three
 * times: by {@link io.maas.gateway.api.HttpLimits} (first of all routes), by Quarkus in a router handler at order -2
 * (from the Content-Length header), and, for bodies without one, while the resource reads them (the
 * {@code io.quarkus.max-request-size} routing-context value). For this route only, a handler before all of them
 * checks Content-Length against the catalog bound, marks the route as bounding its own body for HttpLimits and hides
 * the header from Quarkus' check; a handler after Quarkus' replaces the read-time bound. Chunked uploads are
 * streamed, never buffered. The upload service counts the bytes it stores as well.
 */
@ApplicationScoped
public class UploadBodyLimit {
    /** The routing-context key Quarkus REST reads its body bound from. */
    static final String MAX_REQUEST_SIZE = "io.quarkus.max-request-size";
    private static final String DECLARED_LENGTH = UploadBodyLimit.class.getName() + ".content-length";

    @Inject
    MaasConfig config;

    void install(@Observes Router router) {
        long max = config.catalog().maxUploadBytes();
        // Before HttpLimits (Integer.MIN_VALUE + 10) and Quarkus' body limit (-2).
        router.route(HttpMethod.POST, CatalogResource.UPLOAD_PATH).order(Integer.MIN_VALUE + 5)
                .handler(rc -> before(rc, max));
        router.route(HttpMethod.POST, CatalogResource.UPLOAD_PATH).order(-1).handler(rc -> {
            rc.put(MAX_REQUEST_SIZE, max);
            rc.next();
        });
    }

    private static void before(RoutingContext rc, long max) {
        String length = rc.request().getHeader(HttpHeaders.CONTENT_LENGTH);
        if (length != null) {
            long declared;
            try {
                declared = Long.parseLong(length.trim());
            } catch (NumberFormatException e) {
                declared = Long.MAX_VALUE;
            }
            if (declared > max) {
                rc.response().setStatusCode(413).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                        .putHeader(HttpHeaders.CONNECTION, "close")
                        // Most clients send the whole upload before reading: drop it, then close (as for any 413).
                        .endHandler(v -> io.maas.gateway.api.HttpLimits.closeAfterLinger(rc))
                        .end("{\"error\":{\"message\":\"The upload is larger than " + max
                                + " bytes (maas.catalog.max-upload-bytes).\",\"type\":\"invalid_request_error\","
                                + "\"param\":null,\"code\":\"upload_too_large\"}}");
                return;
            }
            rc.put(DECLARED_LENGTH, length);
            rc.request().headers().remove(HttpHeaders.CONTENT_LENGTH);
        }
        rc.put(io.maas.gateway.api.HttpLimits.OWN_BODY_BOUND, max);
        rc.next();
    }
}
