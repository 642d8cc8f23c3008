package io.maas.gateway.admission;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.maas.app.config.MaasConfig;
import io.maas.gateway.api.OpenAiException;
import io.maas.gateway.auth.Caller;

/**
 * Admission by rate: per API key (or per token principal) a requests-per-minute and a tokens-per-minute
 * bucket, and per tenant a bound on requests in flight. Tokens are reserved at admission as prompt + max_tokens
 * and settled to what was really used when the request ends. Limits come from {@code maas.limits}, with
 * per-tenant overrides.
 */
@ApplicationScoped
public class RateLimiter {
    /** Above this many tracked callers, full (idle) buckets are forgotten; a forgotten bucket starts full anyway. */
    static final int MAX_TRACKED = 100_000;

    @Inject
    MaasConfig config;

    LongSupplier clock = System::nanoTime;

    private final Map<String, Buckets> buckets = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();

    private record Buckets(TokenBucket requests, TokenBucket tokens) {
    }

    /** An admitted request; {@link #settle} must be called exactly once when it ends. */
    public final class Permit {
        private final String tenantId;
        private final Buckets buckets;
        private final long reservedTokens;
        private boolean settled;

        private Permit(String tenantId, Buckets buckets, long reservedTokens) {
            this.tenantId = tenantId;
            this.buckets = buckets;
            this.reservedTokens = reservedTokens;
        }

        /** Returns the unused part of the token reservation and frees the tenant's concurrency slot. */
        public synchronized void settle(long usedTokens) {
            if (settled) {
                return;
            }
            settled = true;
            long unused = reservedTokens - Math.min(reservedTokens, Math.max(0, usedTokens));
            if (unused > 0) {
                buckets.tokens().giveBack(unused, clock.getAsLong());
            }
            inFlight.get(tenantId).decrementAndGet();
        }

        /** The OpenAI rate-limit headers as of now. */
        public Map<String, String> headers() {
            return RateLimiter.this.headers(buckets);
        }
    }

    /** Admits the request or throws 429 {@code rate_limit_exceeded} with Retry-After and the limit headers. */
    public Permit admit(Caller caller, long tokensToReserve) {
        MaasConfig.RateLimits limits = limitsFor(caller.tenantId());
        long now = clock.getAsLong();
        Buckets b = bucketsFor(caller, limits, now);
        if (tokensToReserve > b.tokens().capacity()) {
            throw new OpenAiException(429, "tokens", "Request too large: it needs " + tokensToReserve
                    + " tokens (prompt + max_tokens) but the limit is " + b.tokens().capacity()
                    + " tokens per minute. Lower max_tokens.", "max_tokens", "rate_limit_exceeded", headers(b));
        }
        AtomicInteger tenantInFlight = inFlight.computeIfAbsent(caller.tenantId(), t -> new AtomicInteger());
        if (tenantInFlight.incrementAndGet() > limits.concurrentPerTenant()) {
            tenantInFlight.decrementAndGet();
            throw limited("Too many concurrent requests for your organization (limit " + limits.concurrentPerTenant()
                    + "). Retry when one finishes.", 1_000_000_000L, b);
        }
        if (!b.requests().tryTake(1, now)) {
            tenantInFlight.decrementAndGet();
            throw limited("Rate limit reached for requests per minute (limit " + b.requests().capacity() + ").",
                    b.requests().nanosUntil(1, now), b);
        }
        if (!b.tokens().tryTake(tokensToReserve, now)) {
            b.requests().giveBack(1, now);
            tenantInFlight.decrementAndGet();
            throw limited("Rate limit reached for tokens per minute (limit " + b.tokens().capacity() + ", requested "
                    + tokensToReserve + ").", b.tokens().nanosUntil(tokensToReserve, now), b);
        }
        return new Permit(caller.tenantId(), b, tokensToReserve);
    }

    private OpenAiException limited(String message, long waitNanos, Buckets b) {
        Map<String, String> headers = new LinkedHashMap<>(headers(b));
        headers.put("Retry-After", Long.toString(Math.max(1, (waitNanos + 999_999_999L) / 1_000_000_000L)));
        return new OpenAiException(429, "requests", message, null, "rate_limit_exceeded", headers);
    }

    private Map<String, String> headers(Buckets b) {
        long now = clock.getAsLong();
        Map<String, String> h = new LinkedHashMap<>();
        h.put("x-ratelimit-limit-requests", Long.toString(b.requests().capacity()));
        h.put("x-ratelimit-remaining-requests", Long.toString(b.requests().remaining(now)));
        h.put("x-ratelimit-reset-requests", duration(b.requests().nanosUntilFull(now)));
        h.put("x-ratelimit-limit-tokens", Long.toString(b.tokens().capacity()));
        h.put("x-ratelimit-remaining-tokens", Long.toString(b.tokens().remaining(now)));
        h.put("x-ratelimit-reset-tokens", duration(b.tokens().nanosUntilFull(now)));
        return h;
    }

    /** OpenAI's format for reset times: "1s", "6m0s", "120ms". */
    static String duration(long nanos) {
        long ms = (nanos + 999_999) / 1_000_000;
        if (ms < 1_000) {
            return ms + "ms";
        }
        long s = (ms + 999) / 1_000;
        return s < 60 ? s + "s" : (s / 60) + "m" + (s % 60) + "s";
    }

    private Buckets bucketsFor(Caller caller, MaasConfig.RateLimits limits, long now) {
        String who = caller.apiKeyId() != null ? "key:" + caller.apiKeyId() : "principal:" + caller.identity()
                .getPrincipal().getName();
        if (buckets.size() > MAX_TRACKED) {
            buckets.values().removeIf(b -> b.requests().isFull(now) && b.tokens().isFull(now));
        }
        return buckets.computeIfAbsent(who, k -> new Buckets(new TokenBucket(limits.requestsPerMinute(), now),
                new TokenBucket(limits.tokensPerMinute(), now)));
    }

    private MaasConfig.RateLimits limitsFor(String tenantId) {
        MaasConfig.RateLimits override = config.limits().tenants().get(tenantId);
        return override != null ? override : config.limits();
    }
}
