package io.maas.billing.rating;

import static io.maas.billing.rating.RatingFixtures.LEGAL;
import static io.maas.billing.rating.RatingFixtures.LLAMA;
import static io.maas.billing.rating.RatingFixtures.MID_NOVEMBER;
import static io.maas.billing.rating.RatingFixtures.MISTRAL;
import static io.maas.billing.rating.RatingFixtures.SQL_EXPERT;
import static io.maas.billing.rating.RatingFixtures.reservation;
import static io.maas.billing.rating.RatingFixtures.state;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.junit.jupiter.api.Test;

class ReservationMatchTest {
    private static final ReservationState EVERYTHING = state(reservation("r-all", ReservationScope.everything()), 0);
    private static final ReservationState LLAMA_BASE = state(reservation("r-llama", ReservationScope.baseModel("llama-3-8b")), 0);
    private static final ReservationState SQL = state(reservation("r-sql", ReservationScope.adapters(Set.of(SQL_EXPERT))), 0);
    private static final List<ReservationState> ALL_THREE = List.of(EVERYTHING, LLAMA_BASE, SQL);

    private static String match(List<ReservationState> states, ModelRef model, Instant at) {
        return ReservationMatch.mostSpecific(states, model, at).map(s -> s.reservation().id()).orElse("payg");
    }

    @Test
    void mostSpecificReservationWins() {
        assertEquals("r-sql", match(ALL_THREE, SQL_EXPERT, MID_NOVEMBER));
        assertEquals("r-llama", match(ALL_THREE, LEGAL, MID_NOVEMBER));
        assertEquals("r-llama", match(ALL_THREE, LLAMA, MID_NOVEMBER));
        assertEquals("r-all", match(ALL_THREE, MISTRAL, MID_NOVEMBER));
        assertEquals("r-sql", match(List.of(SQL, LLAMA_BASE, EVERYTHING), SQL_EXPERT, MID_NOVEMBER), "order of input is irrelevant");
    }

    @Test
    void withoutACoveringReservationTheRequestIsPayAsYouGo() {
        assertEquals("payg", match(List.of(SQL, LLAMA_BASE), MISTRAL, MID_NOVEMBER));
        assertEquals("payg", match(List.of(), LLAMA, MID_NOVEMBER));
    }

    @Test
    void onlyReservationsActiveAtTheRequestsTimeMatch() {
        Instant start = Instant.parse("2026-11-20T00:00:00Z");
        ReservationState later = state(reservation("r-later", ReservationScope.adapters(Set.of(SQL_EXPERT)), start), 0);
        assertEquals("r-llama", match(List.of(later, LLAMA_BASE), SQL_EXPERT, start.minusSeconds(1)));
        assertEquals("r-later", match(List.of(later, LLAMA_BASE), SQL_EXPERT, start));
        ReservationState cancelled = state(SQL.reservation().endingAt(start), 0);
        assertEquals("r-llama", match(List.of(cancelled, LLAMA_BASE), SQL_EXPERT, start));
    }

    @Test
    void amongEquallySpecificTheEarliestStartWinsThenTheSmallerId() {
        ReservationState older = state(reservation("r-b", ReservationScope.baseModel("llama-3-8b"), Instant.parse("2026-01-01T00:00:00Z")), 0);
        ReservationState newer = state(reservation("r-a", ReservationScope.baseModel("llama-3-8b"), Instant.parse("2026-06-01T00:00:00Z")), 0);
        assertEquals("r-b", match(List.of(newer, older), LLAMA, MID_NOVEMBER));
        ReservationState twin = state(reservation("r-a", ReservationScope.baseModel("llama-3-8b"), Instant.parse("2026-01-01T00:00:00Z")), 0);
        assertEquals("r-a", match(List.of(older, twin), LLAMA, MID_NOVEMBER));
    }

    @Test
    void aSpentReservationStillWinsAndTheRequestIsOverageOnIt() {
        ReservationState spent = state(SQL.reservation(), RatingFixtures.ALLOWANCE_TOKENS);
        assertEquals(Optional.of(spent), ReservationMatch.mostSpecific(List.of(spent, LLAMA_BASE), SQL_EXPERT, MID_NOVEMBER));
    }
}
