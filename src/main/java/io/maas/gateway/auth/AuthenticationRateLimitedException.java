package io.maas.gateway.auth;

/** A source that failed authentication too often is refused until its window ends (mapped to 429). */
public class AuthenticationRateLimitedException extends RuntimeException {
    private final long retryAfterSeconds;

    public AuthenticationRateLimitedException(long retryAfterSeconds) {
        super("too many failed authentications from this source");
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public long retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
