package io.maas.billing.usage;

import java.util.List;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;

import io.quarkus.panache.common.Page;
import io.quarkus.panache.common.Sort;

/** Read side of stored usage for the admin API and console. */
@ApplicationScoped
public class UsageQueries {
    /** Bound on rows one call returns. */
    public static final int MAX_LIMIT = 1_000;

    /** Totals over the selection. */
    public record Totals(long requests, long tokensPrompt, long tokensCompletion) {
    }

    @Transactional
    public List<UsageRecord> recent(Optional<String> tenantId, int limit) {
        Sort sort = Sort.descending("occurredAt").and("eventId");
        var query = tenantId.isPresent()
                ? UsageRecord.<UsageRecord>find("tenantId", sort, tenantId.get())
                : UsageRecord.<UsageRecord>findAll(sort);
        return query.page(Page.ofSize(Math.max(1, Math.min(limit, MAX_LIMIT)))).list();
    }

    @Transactional
    public Totals totals(Optional<String> tenantId) {
        String where = tenantId.isPresent() ? " where u.tenantId = ?1" : "";
        var query = UsageRecord.getEntityManager().createQuery(
                "select count(u), coalesce(sum(u.tokensPrompt), 0), coalesce(sum(u.tokensCompletion), 0)"
                        + " from UsageRecord u" + where, Object[].class);
        tenantId.ifPresent(t -> query.setParameter(1, t));
        Object[] row = query.getSingleResult();
        return new Totals(((Number) row[0]).longValue(), ((Number) row[1]).longValue(), ((Number) row[2]).longValue());
    }
}
