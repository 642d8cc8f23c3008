package io.maas.billing.pricebook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.maas.billing.rating.ChargeModelType;
import io.maas.billing.rating.MarketplaceShare;
import io.maas.billing.rating.ModelRef;
import io.maas.billing.rating.PriceBook;
import io.maas.billing.rating.PriceEntry;
import io.maas.billing.rating.PriceTier;
import io.maas.billing.testing.BillingDatabase;

/** Price entries and provider shares round-trip through PostgreSQL unchanged; stored prices cannot be edited. */
class PriceBookRepositoryTest {
    private static BillingDatabase db;

    @BeforeAll
    static void start() throws Exception {
        db = BillingDatabase.start();
    }

    @AfterAll
    static void stop() throws Exception {
        db.close();
    }

    @Test
    void tieredAndFlatEntriesRoundTripExactly() throws Exception {
        PriceEntry tiered = new PriceEntry(ModelRef.adapter("rt-base", "sql"), Instant.parse("2026-11-01T00:00:00Z"),
                ChargeModelType.GRADUATED_TIERED, List.of(PriceTier.upTo(512, new BigDecimal("120"), new BigDecimal("240")),
                        PriceTier.unbounded(new BigDecimal("100"), new BigDecimal("0.15"))));
        PriceEntry flat = PriceEntry.flat(ModelRef.base("rt-base"), Instant.parse("2026-10-01T00:00:00Z"),
                new BigDecimal("0.000001"), new BigDecimal("85"));
        try (Connection c = db.connect()) {
            PriceBookRepository.insert(c, tiered);
            PriceBookRepository.insert(c, flat);
            c.commit();
            PriceBook book = PriceBookRepository.load(c);
            assertEquals(tiered, book.entryFor(ModelRef.adapter("rt-base", "sql"), Instant.parse("2026-11-02T00:00:00Z")));
            assertEquals(flat, book.entryFor(ModelRef.adapter("rt-base", "sql"), Instant.parse("2026-10-02T00:00:00Z")));
        }
    }

    @Test
    void aStoredPriceCannotBeUpdated() throws Exception {
        try (Connection c = db.connect()) {
            PriceBookRepository.insert(c, PriceEntry.flat(ModelRef.base("frozen"), Instant.parse("2026-01-01T00:00:00Z"),
                    BigDecimal.ONE, BigDecimal.ONE));
            c.commit();
        }
        SQLException refused = assertThrows(SQLException.class,
                () -> db.execute("update price_tiers set input_micros_per_token = 0"));
        assertTrue(refused.getMessage().contains("append-only"), refused.getMessage());
    }

    @Test
    void providerSharesHaveASeededDefaultAndOverridesPerAdapter() throws Exception {
        try (Connection c = db.connect()) {
            assertEquals(7000, ProviderShareRepository.load(c).defaultProviderShareBps());
            ProviderShareRepository.set(c, ModelRef.adapter("rt-base", "legal"), 5000);
            c.commit();
            MarketplaceShare shares = ProviderShareRepository.load(c);
            assertEquals(new MarketplaceShare(7000, Map.of(ModelRef.adapter("rt-base", "legal"), 5000)), shares);
        }
    }
}
