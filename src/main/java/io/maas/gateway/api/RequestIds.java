package io.maas.gateway.api;

import java.util.UUID;
import java.util.regex.Pattern;

import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerResponseContext;

import org.jboss.logging.MDC;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;
import org.jboss.resteasy.reactive.server.ServerResponseFilter;

import io.maas.gateway.openai.OpenAiError;

/**
 * Every response carries {@code x-request-id}: the caller's own when well formed, else one made here. The id
 * is in the log context ({@code requestId}), in error messages and in the request's usage event, so one call
 * can be followed through the whole system.
 */
public class RequestIds {
    public static final String HEADER = "x-request-id";
    public static final String PROPERTY = "maas.request-id";
    private static final Pattern WELL_FORMED = Pattern.compile("^[A-Za-z0-9._-]{1,128}$");

    @ServerRequestFilter(preMatching = true)
    public void assign(ContainerRequestContext request) {
        String given = request.getHeaderString(HEADER);
        String id = given != null && WELL_FORMED.matcher(given).matches() ? given
                : "req_" + UUID.randomUUID().toString().replace("-", "");
        request.setProperty(PROPERTY, id);
        // Resources read the effective id as an ordinary header.
        request.getHeaders().putSingle(HEADER, id);
        MDC.put("requestId", id);
    }

    @ServerResponseFilter
    public void echo(ContainerRequestContext request, ContainerResponseContext response) {
        Object id = request.getProperty(PROPERTY);
        if (id == null) {
            return;
        }
        response.getHeaders().putSingle(HEADER, id);
        if (response.getEntity() instanceof OpenAiError error && !error.error().message().contains((String) id)) {
            OpenAiError.Body b = error.error();
            response.setEntity(OpenAiError.of(b.message() + " (request id " + id + ")", b.type(), b.param(), b.code()));
        }
        MDC.remove("requestId");
    }

    /** The id of the request being served (set by the filter before anything else runs). */
    public static String of(ContainerRequestContext request) {
        return (String) request.getProperty(PROPERTY);
    }
}
