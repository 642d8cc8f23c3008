package io.maas.gateway.api;

import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.maas.app.config.MaasConfig;
import io.maas.gateway.openai.OpenAiError;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.quarkus.runtime.configuration.MemorySize;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * Request size bounds answered as OpenAI error objects: 413 for a body over
 * {@code quarkus.http.limits.max-body-size} (declared by Content-Length, or counted while a chunked body
 * arrives) and 431 for headers over {@code maas.http.max-header-size}. Quarkus and Vert.x enforce the
 * same bounds lower down, but answer with an empty body that no handler of the application can reach;
 * this route runs before them (order below Quarkus' upload-limit route) so a client gets the usual JSON.
 * Headers beyond the socket-level bound ({@code quarkus.http.limits.max-header-size}, set above ours)
 * still get Netty's bare 431: see docs/adr/0013-gateway-identity-remainders.md.
 */
@ApplicationScoped
public class HttpLimits {
    /** How long, and how many body bytes, a refused request may still send before its connection is closed. */
    private static final long LINGER_MILLIS = 2_000;
    private static final long LINGER_BYTES = 32L << 20;
    /** Before Quarkus' own body limit (RouteConstants.ROUTE_ORDER_UPLOAD_LIMIT = -2) and every other route. */
    static final int ORDER = Integer.MIN_VALUE + 10;
    /**
     * Set in the routing context by a route that bounds its own body before this check runs (the adapter upload,
     * io.maas.catalog.api.UploadBodyLimit, bounded by maas.catalog.max-upload-bytes): its body is left to it.
     */
    public static final String OWN_BODY_BOUND = "io.maas.own-body-bound";
    private static final Pattern WELL_FORMED_ID = Pattern.compile("^[A-Za-z0-9._-]{1,128}$");
    /** ": " between name and value, CRLF after the value: counted like the header block on the wire. */
    private static final int HEADER_LINE_OVERHEAD = 4;

    @Inject
    MaasConfig config;
    @Inject
    ObjectMapper json;
    @ConfigProperty(name = "quarkus.http.limits.max-body-size", defaultValue = "10240K")
    MemorySize maxBody;

    void install(@Observes Router router) {
        long bodyLimit = maxBody.asLongValue();
        long headerLimit = config.http().maxHeaderSize().asLongValue();
        router.route().order(ORDER).handler(ctx -> check(ctx, bodyLimit, headerLimit));
    }

    private void check(RoutingContext ctx, long bodyLimit, long headerLimit) {
        HttpServerRequest request = ctx.request();
        long headerBytes = 0;
        for (Map.Entry<String, String> header : request.headers()) {
            headerBytes += header.getKey().length() + header.getValue().length() + HEADER_LINE_OVERHEAD;
        }
        if (headerBytes > headerLimit) {
            refuse(ctx, 431, "Request headers are too large: " + headerBytes + " bytes, the limit is " + headerLimit
                    + " bytes.", "request_headers_too_large");
            return;
        }
        if (ctx.get(OWN_BODY_BOUND) != null) {
            ctx.next();
            return;
        }
        String length = request.getHeader(HttpHeaderNames.CONTENT_LENGTH);
        if (length != null) {
            long declared;
            try {
                declared = Long.parseLong(length.trim());
            } catch (NumberFormatException e) {
                refuse(ctx, 400, "The Content-Length header is not a number.", "invalid_content_length");
                return;
            }
            if (declared > bodyLimit) {
                refuse(ctx, 413, tooLarge(bodyLimit), "request_too_large");
                return;
            }
            ctx.next();
            return;
        }
        if (isChunked(request)) {
            readBounded(ctx, bodyLimit);
            return;
        }
        ctx.next();
    }

    /**
     * A chunked body has no declared length: it is read here, counting, and refused once it passes the
     * bound. A body within the bound is handed on as the routing context's body, which the REST layer reads
     * instead of the (already consumed) request stream.
     */
    private void readBounded(RoutingContext ctx, long bodyLimit) {
        HttpServerRequest request = ctx.request();
        Buffer body = Buffer.buffer();
        boolean[] refused = { false };
        request.handler(chunk -> {
            if (refused[0]) {
                return;
            }
            if (body.length() + (long) chunk.length() > bodyLimit) {
                refused[0] = true;
                refuse(ctx, 413, tooLarge(bodyLimit), "request_too_large");
                return;
            }
            body.appendBuffer(chunk);
        });
        request.exceptionHandler(e -> {
            if (!refused[0] && !ctx.response().ended()) {
                refused[0] = true;
                ctx.response().setStatusCode(400).end();
            }
        });
        request.endHandler(v -> {
            if (!refused[0]) {
                ctx.setBody(body);
                ctx.next();
            }
        });
        request.resume();
    }

    private static boolean isChunked(HttpServerRequest request) {
        String encoding = request.getHeader(HttpHeaderNames.TRANSFER_ENCODING);
        return encoding != null && encoding.toLowerCase(java.util.Locale.ROOT).contains("chunked");
    }

    private static String tooLarge(long bodyLimit) {
        return "The request body is too large: the limit is " + bodyLimit + " bytes.";
    }

    /** Answers with an OpenAI error object and closes the connection (the rest of the request is not read). */
    private void refuse(RoutingContext ctx, int status, String message, String code) {
        String given = ctx.request().getHeader(RequestIds.HEADER);
        String requestId = given != null && WELL_FORMED_ID.matcher(given).matches() ? given
                : "req_" + UUID.randomUUID().toString().replace("-", "");
        String body;
        try {
            body = json.writeValueAsString(OpenAiError.of(message + " (request id " + requestId + ")",
                    OpenAiException.INVALID_REQUEST, null, code));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        var response = ctx.response();
        response.setStatusCode(status)
                .putHeader(HttpHeaderNames.CONTENT_TYPE, "application/json")
                .putHeader(HttpHeaderNames.CONNECTION, "close")
                .putHeader(RequestIds.HEADER, requestId)
                .endHandler(v -> closeAfterLinger(ctx))
                .end(body);
    }

    /**
     * Closes the connection once the client has finished sending what it is sending (bounded in bytes and time).
     * Closing at once while a large body is still arriving resets the connection, and the client then reports a
     * broken pipe instead of reading the 413 it was sent (a lingering close, as web servers do).
     */
    public static void closeAfterLinger(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        if (request.isEnded()) {
            request.connection().close();
            return;
        }
        var vertx = ctx.vertx();
        long[] drained = { 0 };
        long timer = vertx.setTimer(LINGER_MILLIS, t -> request.connection().close());
        request.handler(chunk -> {
            drained[0] += chunk.length();
            if (drained[0] > LINGER_BYTES) {
                vertx.cancelTimer(timer);
                request.connection().close();
            }
        });
        request.endHandler(v -> {
            vertx.cancelTimer(timer);
            request.connection().close();
        });
        request.exceptionHandler(e -> vertx.cancelTimer(timer));
        request.resume();
    }
}
