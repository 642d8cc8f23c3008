package io.maas.billing.rating;

import static io.maas.billing.rating.RatingFixtures.LEGAL;
import static io.maas.billing.rating.RatingFixtures.LLAMA;
import static io.maas.billing.rating.RatingFixtures.MISTRAL;
import static io.maas.billing.rating.RatingFixtures.SQL_EXPERT;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.Test;

class ReservationScopeTest {

    @Test
    void everythingCoversEveryModelAndAdapter() {
        ReservationScope all = ReservationScope.everything();
        assertTrue(all.covers(LLAMA) && all.covers(SQL_EXPERT) && all.covers(MISTRAL));
    }

    @Test
    void aBaseModelScopeCoversTheBareBaseAndItsAdapters() {
        ReservationScope llama = ReservationScope.baseModel("llama-3-8b");
        assertTrue(llama.covers(LLAMA));
        assertTrue(llama.covers(SQL_EXPERT));
        assertFalse(llama.covers(MISTRAL));
        assertFalse(llama.covers(ModelRef.adapter("mistral-7b", "sql-expert")));
    }

    @Test
    void anAdapterScopeCoversOnlyItsAdaptersOnTheirBase() {
        ReservationScope sql = ReservationScope.adapters(Set.of(SQL_EXPERT));
        assertTrue(sql.covers(SQL_EXPERT));
        assertFalse(sql.covers(LEGAL));
        assertFalse(sql.covers(LLAMA));
        assertFalse(sql.covers(ModelRef.adapter("mistral-7b", "sql-expert")));
    }

    @Test
    void narrowerScopesAreMoreSpecific() {
        assertTrue(ReservationScope.adapters(Set.of(SQL_EXPERT)).specificity()
                > ReservationScope.baseModel("llama-3-8b").specificity());
        assertTrue(ReservationScope.baseModel("llama-3-8b").specificity() > ReservationScope.everything().specificity());
    }

    @Test
    void malformedScopesAreRefused() {
        assertThrows(InvalidRatingInputException.class, () -> ReservationScope.baseModel(" "));
        assertThrows(InvalidRatingInputException.class, () -> ReservationScope.adapters(Set.of()));
        assertThrows(InvalidRatingInputException.class, () -> ReservationScope.adapters(null));
        assertThrows(InvalidRatingInputException.class, () -> ReservationScope.adapters(Set.of(SQL_EXPERT, LLAMA)));
        assertThrows(InvalidRatingInputException.class,
                () -> ReservationScope.adapters(new HashSet<>(Arrays.asList(SQL_EXPERT, null))));
    }
}
