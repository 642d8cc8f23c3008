package io.maas.billing.budget;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.time.Instant;
import java.time.YearMonth;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.maas.billing.BillingException;
import io.maas.billing.metering.UsageData;
import io.maas.billing.metering.UsageEvent;
import io.maas.billing.metering.UsageStatus;
import io.maas.billing.rating.BillingPeriod;
import io.maas.billing.testing.BillingDatabase;

/** Token quotas read from the daily rollups: only the period's tokens count, prompt and completion alike. */
class TokenQuotasTest {
    private static BillingDatabase db;

    @BeforeAll
    static void start() throws Exception {
        db = BillingDatabase.start();
    }

    @AfterAll
    static void stop() throws Exception {
        db.close();
    }

    private static UsageEvent usage(String tenant, int prompt, int completion, String at) {
        return UsageEvent.of(UUID.randomUUID(), "/test", Instant.parse(at), new UsageData(tenant, null, "q-model", null,
                null, prompt, completion, UsageStatus.COMPLETED, "stop", null, 5L, null));
    }

    @Test
    void theQuotaCountsTheTokensOfItsMonthOnly() throws Exception {
        db.deliver(List.of(usage("q-a", 100, 50, "2026-10-31T23:59:59Z"), usage("q-a", 30, 20, "2026-11-01T00:00:00Z"),
                usage("q-a", 10, 0, "2026-11-30T23:59:59Z"), usage("q-b", 999, 999, "2026-11-10T00:00:00Z")));
        BillingPeriod nov = BillingPeriod.of(YearMonth.of(2026, 11));
        try (Connection c = db.connect()) {
            assertTrue(TokenQuotas.find(c, "q-a", nov).isEmpty(), "no quota, nothing to check");
            TokenQuotas.set(c, "q-a", 60);
            TokenQuotas.Quota q = TokenQuotas.find(c, "q-a", nov).orElseThrow();
            assertEquals(60, q.usedTokens(), "30 + 20 + 10 in November; October's 150 do not count");
            assertTrue(q.reached());
            TokenQuotas.set(c, "q-a", 61);
            assertFalse(TokenQuotas.find(c, "q-a", nov).orElseThrow().reached());
            assertEquals(150, TokenQuotas.find(c, "q-a", BillingPeriod.of(YearMonth.of(2026, 10))).orElseThrow()
                    .usedTokens());
            assertEquals(List.of("q-a"), TokenQuotas.list(c, nov).stream().map(TokenQuotas.Quota::tenantId).toList());
            assertThrows(BillingException.class, () -> TokenQuotas.set(c, "q-a", 0));
            c.rollback();
        }
    }
}
