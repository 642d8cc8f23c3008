package io.maas.gateway.completion;

import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.maas.app.config.MaasConfig;
import io.maas.billing.budget.BudgetService;
import io.maas.gateway.api.OpenAiException;

/**
 * Refuses completions of a tenant whose budget hard limit or monthly token quota (read from the usage rollups) is
 * reached (429 {@code insufficient_quota}). The answer
 * per tenant is cached for {@code maas.billing.budget-cache-ttl}, so it is stale by at most that TTL plus the
 * billing pipeline's lag (publisher linger and consumer commit, normally under a second): a tenant can overshoot
 * by the traffic of that window. The cache holds at most {@code maas.billing.budget-cache-max-tenants} tenants and
 * is emptied when full. If the database cannot answer, the request is served (fail open): its usage is still
 * metered and billed, and inference should not stop because the budget view is unavailable.
 */
@ApplicationScoped
public class HardLimitCheck {
    private static final Logger LOG = Logger.getLogger(HardLimitCheck.class);

    @Inject
    MaasConfig config;
    @Inject
    BudgetService budgets;

    private record Answer(boolean over, long expiresAtNanos, AtomicBoolean refreshing) {
    }

    private final Map<String, Answer> cache = new ConcurrentHashMap<>();
    /** Monotonic time in nanoseconds; a test sets its own to step past the TTL without sleeping. */
    LongSupplier nanoClock = System::nanoTime;

    public void check(String tenantId) {
        if (isOver(tenantId)) {
            throw new OpenAiException(429, "insufficient_quota",
                    "You exceeded your current quota, please check your plan and billing details.", null,
                    "insufficient_quota");
        }
    }

    boolean isOver(String tenantId) {
        long now = nanoClock.getAsLong();
        Answer cached = cache.get(tenantId);
        if (cached != null && now - cached.expiresAtNanos() < 0) {
            return cached.over();
        }
        // One request per tenant reads the database when the answer expires; requests arriving meanwhile use the
        // expired answer (stale by the length of one query) instead of all queueing for a connection at once.
        if (cached != null && !cached.refreshing().compareAndSet(false, true)) {
            return cached.over();
        }
        boolean over;
        try {
            over = budgets.isOverQuota(tenantId, Instant.now());
        } catch (RuntimeException e) {
            if (cached != null) {
                cached.refreshing().set(false);
            }
            LOG.warnf("budget of %s not readable, serving without the hard-limit check: %s", tenantId, e.getMessage());
            return false;
        }
        if (cache.size() >= config.billing().budgetCacheMaxTenants()) {
            cache.clear();
        }
        cache.put(tenantId, new Answer(over, now + config.billing().budgetCacheTtl().toNanos(), new AtomicBoolean()));
        return over;
    }
}
