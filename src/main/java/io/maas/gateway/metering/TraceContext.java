package io.maas.gateway.metering;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.regex.Pattern;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;

/**
 * The W3C trace context of one request: taken from the caller's {@code traceparent} header when valid,
 * otherwise the request's OpenTelemetry span (so logs and usage events share the trace id), otherwise started
 * here, so every usage event carries a trace id that links it to its request.
 */
public record TraceContext(String traceparent) {
    public static final String HEADER = "traceparent";

    private static final Pattern TRACEPARENT = Pattern.compile("^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$");
    private static final String INVALID_TRACE_ID = "0".repeat(32);
    private static final String INVALID_SPAN_ID = "0".repeat(16);
    private static final SecureRandom RANDOM = new SecureRandom();

    /** The caller's context if the header is a valid version-00 traceparent, else the current span's, else a new one. */
    public static TraceContext fromHeader(String header) {
        if (header != null) {
            var m = TRACEPARENT.matcher(header.trim());
            if (m.matches() && !INVALID_TRACE_ID.equals(m.group(1)) && !INVALID_SPAN_ID.equals(m.group(2))) {
                return new TraceContext(header.trim());
            }
        }
        // The request's OpenTelemetry span (started from the same header, or new): the ids in the logs are these.
        SpanContext current = Span.current().getSpanContext();
        if (current.isValid()) {
            return new TraceContext("00-" + current.getTraceId() + "-" + current.getSpanId() + "-"
                    + current.getTraceFlags().asHex());
        }
        byte[] traceId = new byte[16];
        byte[] spanId = new byte[8];
        RANDOM.nextBytes(traceId);
        RANDOM.nextBytes(spanId);
        HexFormat hex = HexFormat.of();
        return new TraceContext("00-" + hex.formatHex(traceId) + "-" + hex.formatHex(spanId) + "-01");
    }

    public String traceId() {
        return traceparent.substring(3, 35);
    }
}
