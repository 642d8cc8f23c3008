package io.maas.console.session;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.maas.app.config.MaasConfig;
import io.quarkus.security.identity.SecurityIdentity;

/**
 * The console's server-side sessions: opaque random ids (256 bits) mapped to what the login proved, bounded
 * in number, ended by idle timeout, maximum age or logout. In memory, per gateway: see docs/adr/0008-console.md.
 */
@ApplicationScoped
public class ConsoleSessions {
    /** The session cookie. HttpOnly, SameSite=Lax, Path=/console, Secure on TLS (see {@link #cookie}). */
    public static final String COOKIE = "maas_console";
    /** The login form's double-submit CSRF cookie, set before any session exists. */
    public static final String LOGIN_CSRF_COOKIE = "maas_console_login";

    private static final SecureRandom RANDOM = new SecureRandom();

    private record Entry(ConsoleSession session, Instant lastSeen) {
    }

    private final Map<String, Entry> sessions = new ConcurrentHashMap<>();
    private final Duration idleTimeout;
    private final Duration maxAge;
    private final int max;
    private final Clock clock;

    @Inject
    public ConsoleSessions(MaasConfig config) {
        this(config.console().sessionIdleTimeout(), config.console().sessionMaxAge(), config.console().sessionsMax(),
                Clock.systemUTC());
    }

    ConsoleSessions(Duration idleTimeout, Duration maxAge, int max, Clock clock) {
        this.idleTimeout = idleTimeout;
        this.maxAge = maxAge;
        this.max = max;
        this.clock = clock;
    }

    /** A new session for a key login. */
    public ConsoleSession openForKey(String apiKeySecret) {
        return open(apiKeySecret, null, null);
    }

    /** A new session for an OIDC login, ending no later than {@code tokenExpiresAt} when known. */
    public ConsoleSession openForOidc(SecurityIdentity identity, Instant tokenExpiresAt) {
        return open(null, identity, tokenExpiresAt);
    }

    private ConsoleSession open(String secret, SecurityIdentity identity, Instant notAfter) {
        Instant now = clock.instant();
        Instant expires = now.plus(maxAge);
        if (notAfter != null && notAfter.isBefore(expires)) {
            expires = notAfter;
        }
        if (sessions.size() >= max) {
            evictExpired(now);
            while (sessions.size() >= max) {
                // Full of live sessions: the oldest login makes room (bounded memory beats unbounded logins).
                sessions.entrySet().stream().min(Comparator.comparing(e -> e.getValue().session().createdAt()))
                        .ifPresent(e -> sessions.remove(e.getKey()));
            }
        }
        ConsoleSession session = new ConsoleSession(randomToken(), randomToken(), secret, identity, now, expires);
        sessions.put(session.id(), new Entry(session, now));
        return session;
    }

    /** The live session with this id, noting its use; empty when unknown, idle too long or expired. */
    public Optional<ConsoleSession> find(String id) {
        if (id == null || id.isEmpty()) {
            return Optional.empty();
        }
        Entry entry = sessions.get(id);
        if (entry == null) {
            return Optional.empty();
        }
        Instant now = clock.instant();
        if (!now.isBefore(entry.session().expiresAt()) || !now.isBefore(entry.lastSeen().plus(idleTimeout))) {
            sessions.remove(id, entry);
            return Optional.empty();
        }
        sessions.replace(id, entry, new Entry(entry.session(), now));
        return Optional.of(entry.session());
    }

    public void close(String id) {
        if (id != null) {
            sessions.remove(id);
        }
    }

    public int size() {
        return sessions.size();
    }

    private void evictExpired(Instant now) {
        sessions.entrySet().removeIf(e -> !now.isBefore(e.getValue().session().expiresAt())
                || !now.isBefore(e.getValue().lastSeen().plus(idleTimeout)));
    }

    /** Whether {@code presented} is this session's CSRF token (constant-time comparison). */
    public static boolean csrfMatches(String expected, String presented) {
        if (expected == null || presented == null) {
            return false;
        }
        return MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8), presented.getBytes(StandardCharsets.UTF_8));
    }

    /** 256 random bits, URL-safe. */
    public static String randomToken() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** A {@code Set-Cookie} value for the console; {@code maxAgeSeconds} 0 deletes it, negative makes it a session cookie. */
    public static String cookie(String name, String value, boolean secure, long maxAgeSeconds) {
        StringBuilder c = new StringBuilder(name).append('=').append(value).append("; Path=/console; HttpOnly; SameSite=Lax");
        if (maxAgeSeconds >= 0) {
            c.append("; Max-Age=").append(maxAgeSeconds);
        }
        if (secure) {
            c.append("; Secure");
        }
        return c.toString();
    }
}
