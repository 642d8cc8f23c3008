package io.maas.gateway.completion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import io.maas.app.config.MaasConfig;
import io.maas.billing.budget.BudgetService;

/** The hard-limit cache without a database: expiry, one refresh per tenant at a time, failures. */
class HardLimitCheckTest {
    /** The check's clock, stepped by the tests instead of sleeping past the TTL. */
    private final AtomicLong clock = new AtomicLong();

    /** A budget view whose answer the test sets, counting queries; a query can be held until released. */
    static final class FakeBudgets extends BudgetService {
        final AtomicInteger queries = new AtomicInteger();
        volatile boolean over;
        volatile boolean failing;
        volatile CountDownLatch hold;
        final CountDownLatch entered = new CountDownLatch(1);

        @Override
        public boolean isOverQuota(String tenantId, Instant now) {
            queries.incrementAndGet();
            CountDownLatch h = hold;
            if (h != null) {
                entered.countDown();
                try {
                    h.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (failing) {
                throw new IllegalStateException("database down");
            }
            return over;
        }
    }

    private HardLimitCheck check(FakeBudgets budgets, Duration ttl) {
        MaasConfig.Billing billing = (MaasConfig.Billing) Proxy.newProxyInstance(HardLimitCheckTest.class.getClassLoader(),
                new Class<?>[] {MaasConfig.Billing.class}, (p, m, a) -> switch (m.getName()) {
                    case "budgetCacheTtl" -> ttl;
                    case "budgetCacheMaxTenants" -> 100;
                    default -> throw new UnsupportedOperationException(m.getName());
                });
        MaasConfig config = (MaasConfig) Proxy.newProxyInstance(HardLimitCheckTest.class.getClassLoader(),
                new Class<?>[] {MaasConfig.class}, (p, m, a) -> {
                    if (m.getName().equals("billing")) {
                        return billing;
                    }
                    throw new UnsupportedOperationException(m.getName());
                });
        HardLimitCheck check = new HardLimitCheck();
        check.config = config;
        check.budgets = budgets;
        check.nanoClock = clock::get;
        return check;
    }

    @Test
    void anAnswerIsReusedUntilItExpiresThenAskedAgain() throws Exception {
        FakeBudgets budgets = new FakeBudgets();
        HardLimitCheck check = check(budgets, Duration.ofMillis(50));
        assertFalse(check.isOver("t1"));
        budgets.over = true;
        assertFalse(check.isOver("t1"), "cached");
        assertEquals(1, budgets.queries.get());
        clock.addAndGet(Duration.ofMillis(80).toNanos());
        assertTrue(check.isOver("t1"), "the request that finds the answer expired asks the database itself");
        assertEquals(2, budgets.queries.get());
    }

    @Test
    void whileOneRequestRefreshesAnExpiredAnswerTheOthersUseItInsteadOfQueryingToo() throws Exception {
        FakeBudgets budgets = new FakeBudgets();
        HardLimitCheck check = check(budgets, Duration.ofMillis(1));
        assertFalse(check.isOver("t1"));
        clock.addAndGet(Duration.ofMillis(5).toNanos());
        budgets.over = true;
        budgets.hold = new CountDownLatch(1);
        CompletableFuture<Boolean> refreshing = CompletableFuture.supplyAsync(() -> check.isOver("t1"));
        assertTrue(budgets.entered.await(30, TimeUnit.SECONDS));
        for (int i = 0; i < 10; i++) {
            assertFalse(check.isOver("t1"), "served from the expired answer while the refresh runs");
        }
        assertEquals(2, budgets.queries.get(), "one query in flight, not eleven");
        budgets.hold.countDown();
        assertTrue(refreshing.get(30, TimeUnit.SECONDS));
        assertTrue(check.isOver("t1"), "the refreshed answer is used");
    }

    @Test
    void aFailedRefreshServesTheRequestAndTheNextOneAsksAgain() throws Exception {
        FakeBudgets budgets = new FakeBudgets();
        HardLimitCheck check = check(budgets, Duration.ofMillis(1));
        budgets.over = true;
        assertTrue(check.isOver("t1"));
        clock.addAndGet(Duration.ofMillis(5).toNanos());
        budgets.failing = true;
        assertFalse(check.isOver("t1"), "fail open");
        budgets.failing = false;
        assertTrue(check.isOver("t1"), "a failed refresh does not leave the entry marked as refreshing");
        assertEquals(3, budgets.queries.get());
    }
}
