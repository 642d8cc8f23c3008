package io.maas.billing.rating;

import static io.maas.billing.rating.RatingFixtures.LEGAL;
import static io.maas.billing.rating.RatingFixtures.LLAMA;
import static io.maas.billing.rating.RatingFixtures.LONG_AGO;
import static io.maas.billing.rating.RatingFixtures.MISTRAL;
import static io.maas.billing.rating.RatingFixtures.SQL_EXPERT;
import static io.maas.billing.rating.RatingFixtures.USD;
import static io.maas.billing.rating.RatingFixtures.book;
import static io.maas.billing.rating.RatingFixtures.rate;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

class PriceBookTest {
    private static final Instant DEC_1 = Instant.parse("2026-12-01T00:00:00Z");
    private static final PriceEntry OLD = PriceEntry.flat(LLAMA, LONG_AGO, rate("0.15"), rate("0.60"));
    private static final PriceEntry NEW = PriceEntry.flat(LLAMA, DEC_1, rate("0.10"), rate("0.40"));

    @Test
    void usageIsRatedAtTheEntryInForceAtItsTime() {
        PriceBook book = book(NEW, OLD); // order of entries does not matter
        assertSame(OLD, book.entryFor(LLAMA, DEC_1.minusSeconds(1)));
        assertSame(NEW, book.entryFor(LLAMA, DEC_1));
        assertSame(NEW, book.entryFor(LLAMA, DEC_1.plusSeconds(86_400 * 365)));
        assertEquals(List.of(NEW, OLD), book.entries());
        assertEquals(USD, book.currency());
    }

    @Test
    void priceChangeNeverRewritesEarlierUsage() {
        Instant now = Instant.parse("2026-11-20T00:00:00Z");
        Instant earlierUsage = Instant.parse("2026-11-19T12:00:00Z");
        PriceBook before = book(OLD);
        PriceBook after = before.withEntry(NEW, now);
        assertSame(before.entryFor(LLAMA, earlierUsage), after.entryFor(LLAMA, earlierUsage));
        // Even a price that takes effect right now leaves usage a second earlier alone.
        PriceEntry immediate = PriceEntry.flat(LLAMA, now, rate("9"), rate("9"));
        assertSame(OLD, before.withEntry(immediate, now).entryFor(LLAMA, now.minusSeconds(1)));
        assertSame(immediate, before.withEntry(immediate, now).entryFor(LLAMA, now));
    }

    @Test
    void aPriceCannotBeBackdated() {
        Instant now = Instant.parse("2026-12-02T00:00:00Z");
        var backdated = assertThrows(InvalidRatingInputException.class, () -> book(OLD).withEntry(NEW, now));
        assertTrue(backdated.getMessage().contains("past"));
        assertThrows(InvalidRatingInputException.class, () -> book(OLD).withEntry(null, now));
    }

    @Test
    void anAdapterWithoutItsOwnPriceFallsBackToItsBaseModel() {
        PriceEntry adapterPrice = PriceEntry.flat(SQL_EXPERT, LONG_AGO, rate("0.30"), rate("1.20"));
        PriceBook book = book(OLD, adapterPrice);
        assertSame(adapterPrice, book.entryFor(SQL_EXPERT, DEC_1));
        assertSame(OLD, book.entryFor(LEGAL, DEC_1));
    }

    @Test
    void anAdapterPriceThatStartsLaterDoesNotHideTheBasePriceBeforeIt() {
        PriceEntry adapterPrice = PriceEntry.flat(SQL_EXPERT, DEC_1, rate("0.30"), rate("1.20"));
        PriceBook book = book(OLD, adapterPrice);
        assertSame(OLD, book.entryFor(SQL_EXPERT, DEC_1.minusSeconds(1)));
        assertSame(adapterPrice, book.entryFor(SQL_EXPERT, DEC_1));
        assertEquals(Optional.empty(), book.entryInForce(SQL_EXPERT, DEC_1.minusSeconds(1)));
    }

    @Test
    void noEntryAtAllIsARatingErrorNamingModelAndTime() {
        PriceBook book = book(NEW);
        var unknownModel = assertThrows(NoPriceException.class, () -> book.entryFor(MISTRAL, DEC_1));
        assertEquals(MISTRAL, unknownModel.model());
        assertEquals(DEC_1, unknownModel.at());
        assertTrue(unknownModel.getMessage().contains("mistral-7b"), unknownModel.getMessage());
        assertTrue(unknownModel.getMessage().contains("2026-12-01T00:00:00Z"), unknownModel.getMessage());
        // Before the first price took effect there was no price either, for the base or its adapters.
        assertThrows(NoPriceException.class, () -> book.entryFor(LLAMA, DEC_1.minusSeconds(1)));
        var adapter = assertThrows(NoPriceException.class, () -> book.entryFor(SQL_EXPERT, DEC_1.minusSeconds(1)));
        assertTrue(adapter.getMessage().contains("llama-3-8b:sql-expert"), adapter.getMessage());
        assertThrows(NoPriceException.class, () -> book(PriceEntry.flat(MISTRAL, LONG_AGO, rate("1"), rate("1")))
                .entryFor(SQL_EXPERT, DEC_1));
    }

    @Test
    void twoPricesForOneModelAtOneInstantAreRefused() {
        PriceEntry clash = PriceEntry.flat(LLAMA, DEC_1, rate("0.20"), rate("0.40"));
        var ambiguous = assertThrows(InvalidRatingInputException.class, () -> book(NEW, clash));
        assertTrue(ambiguous.getMessage().contains("llama-3-8b"));
        assertThrows(InvalidRatingInputException.class, () -> book(NEW).withEntry(clash, DEC_1));
    }

    @Test
    void missingPartsAreRefused() {
        assertThrows(InvalidRatingInputException.class, () -> new PriceBook(null, List.of()));
        assertThrows(InvalidRatingInputException.class, () -> new PriceBook(USD, null));
        assertThrows(InvalidRatingInputException.class, () -> new PriceBook(USD, new ArrayList<>(Arrays.asList(OLD, null))));
    }
}
