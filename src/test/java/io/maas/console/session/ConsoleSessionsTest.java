package io.maas.console.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

import org.junit.jupiter.api.Test;

/** Sessions: random ids and CSRF tokens, idle timeout, maximum age, bounded number, cookie attributes. */
class ConsoleSessionsTest {

    /** A clock the test moves by hand. */
    static final class MovableClock extends Clock {
        Instant now = Instant.parse("2026-11-26T08:00:00Z");

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    @Test
    void aSessionIsFoundUntilItIsIdleTooLongAndUseKeepsItAlive() {
        MovableClock clock = new MovableClock();
        ConsoleSessions sessions = new ConsoleSessions(Duration.ofMinutes(30), Duration.ofHours(12), 10, clock);
        ConsoleSession s = sessions.openForKey("sk-x");
        assertNotEquals(s.id(), s.csrfToken());
        clock.now = clock.now.plus(Duration.ofMinutes(29));
        assertTrue(sessions.find(s.id()).isPresent());
        clock.now = clock.now.plus(Duration.ofMinutes(29));
        assertTrue(sessions.find(s.id()).isPresent(), "used 29 minutes ago");
        clock.now = clock.now.plus(Duration.ofMinutes(30));
        assertFalse(sessions.find(s.id()).isPresent(), "idle 30 minutes");
        assertEquals(0, sessions.size());
    }

    @Test
    void aSessionEndsAtItsMaximumAgeHoweverActiveAndAtLogout() {
        MovableClock clock = new MovableClock();
        ConsoleSessions sessions = new ConsoleSessions(Duration.ofMinutes(30), Duration.ofHours(1), 10, clock);
        ConsoleSession s = sessions.openForKey("sk-x");
        for (int i = 0; i < 5; i++) {
            clock.now = clock.now.plus(Duration.ofMinutes(11));
            assertTrue(sessions.find(s.id()).isPresent());
        }
        clock.now = clock.now.plus(Duration.ofMinutes(6));
        assertFalse(sessions.find(s.id()).isPresent());
        ConsoleSession t = sessions.openForKey("sk-y");
        sessions.close(t.id());
        assertFalse(sessions.find(t.id()).isPresent());
        assertFalse(sessions.find(null).isPresent());
        assertFalse(sessions.find("unknown").isPresent());
    }

    @Test
    void theNumberOfSessionsIsBoundedAndTheOldestMakesRoom() {
        MovableClock clock = new MovableClock();
        ConsoleSessions sessions = new ConsoleSessions(Duration.ofMinutes(30), Duration.ofHours(12), 3, clock);
        ConsoleSession first = sessions.openForKey("sk-1");
        clock.now = clock.now.plusSeconds(1);
        ConsoleSession second = sessions.openForKey("sk-2");
        clock.now = clock.now.plusSeconds(1);
        sessions.openForKey("sk-3");
        clock.now = clock.now.plusSeconds(1);
        sessions.openForKey("sk-4");
        assertEquals(3, sessions.size());
        assertFalse(sessions.find(first.id()).isPresent());
        assertTrue(sessions.find(second.id()).isPresent());
    }

    @Test
    void csrfTokensCompareExactlyAndIdsAreUnguessable() {
        assertTrue(ConsoleSessions.csrfMatches("abc", "abc"));
        assertFalse(ConsoleSessions.csrfMatches("abc", "abd"));
        assertFalse(ConsoleSessions.csrfMatches("abc", null));
        assertFalse(ConsoleSessions.csrfMatches(null, null));
        String token = ConsoleSessions.randomToken();
        assertEquals(43, token.length(), "256 bits, base64url without padding");
        assertNotEquals(token, ConsoleSessions.randomToken());
    }

    @Test
    void cookiesAreHttpOnlySameSiteAndSecureOnlyOnTls() {
        String plain = ConsoleSessions.cookie("maas_console", "v", false, -1);
        assertEquals("maas_console=v; Path=/console; HttpOnly; SameSite=Lax", plain);
        assertEquals("maas_console=; Path=/console; HttpOnly; SameSite=Lax; Max-Age=0; Secure",
                ConsoleSessions.cookie("maas_console", "", true, 0));
    }
}
