package io.maas.app.observability;

import java.util.concurrent.TimeUnit;

/**
 * Where one HTTP request spent its time: marks (System.nanoTime, 0 = not reached) set by the hooks of
 * {@link RequestTimelines} as the request passes authentication, admission, the engine queue and generation.
 * Written by the request's threads one after another, read once when the response has ended.
 */
public final class RequestTimeline {
    final String method;
    final String path;
    final long startedNanos;
    volatile String requestId;
    volatile long authenticatedNanos;
    volatile long admittedNanos;
    volatile long engineStartedNanos;
    volatile long generatedNanos;
    volatile long endedNanos;
    volatile String model;
    volatile String usageStatus;
    volatile long ttftMs = -1;
    volatile int promptTokens;
    volatile int completionTokens;
    volatile String traceId;
    volatile int httpStatus;

    RequestTimeline(String method, String path, long startedNanos) {
        this.method = method;
        this.path = path;
        this.startedNanos = startedNanos;
    }

    public long totalMs() {
        return ms(startedNanos, endedNanos);
    }

    /** Time in decode: generation after the first token (and adapter loading), when both ends are known. */
    long decodeMs() {
        if (engineStartedNanos == 0 || generatedNanos == 0) {
            return -1;
        }
        long engineMs = ms(engineStartedNanos, generatedNanos);
        return ttftMs < 0 ? engineMs : Math.max(0, engineMs - ttftMs);
    }

    /**
     * One line a human reads: phases with their durations (a phase the request never reached shows "-").
     * auth covers reading the body and authenticating; admission validation, limits and quotas; queue the wait
     * for an engine thread; ttft prefill until the first token; decode the rest of generation; send the tail
     * until the last byte left.
     */
    String describe() {
        StringBuilder b = new StringBuilder();
        b.append("slow request ").append(requestId == null ? "-" : requestId).append(' ').append(method).append(' ')
                .append(path).append(" -> ").append(httpStatus).append(" total=").append(totalMs()).append("ms");
        long authEnd = authenticatedNanos;
        b.append(" auth=").append(phase(startedNanos, authEnd));
        b.append(" admission=").append(phase(authEnd, admittedNanos));
        b.append(" queue=").append(phase(admittedNanos, engineStartedNanos));
        b.append(" ttft=").append(ttftMs < 0 ? "-" : ttftMs + "ms");
        long decode = decodeMs();
        b.append(" decode=").append(decode < 0 ? "-" : decode + "ms");
        b.append(" send=").append(phase(generatedNanos, endedNanos));
        if (model != null) {
            b.append(" model=").append(model).append(" status=").append(usageStatus).append(" prompt_tokens=")
                    .append(promptTokens).append(" completion_tokens=").append(completionTokens);
        }
        if (traceId != null) {
            b.append(" trace_id=").append(traceId);
        }
        return b.toString();
    }

    private static String phase(long fromNanos, long toNanos) {
        return fromNanos == 0 || toNanos == 0 ? "-" : ms(fromNanos, toNanos) + "ms";
    }

    private static long ms(long fromNanos, long toNanos) {
        return TimeUnit.NANOSECONDS.toMillis(Math.max(0, toNanos - fromNanos));
    }
}
