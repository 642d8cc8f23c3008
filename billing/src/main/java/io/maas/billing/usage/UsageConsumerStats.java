package io.maas.billing.usage;

import java.util.concurrent.atomic.AtomicLong;

import jakarta.enterprise.context.ApplicationScoped;

/**
 * What the billing consumer has done since start, as monotonic counts (the application exposes them as metrics):
 * batches committed, events stored and rated (first occurrence), duplicates skipped, records dead-lettered.
 */
@ApplicationScoped
public class UsageConsumerStats {
    private final AtomicLong batches = new AtomicLong();
    private final AtomicLong eventsRated = new AtomicLong();
    private final AtomicLong duplicates = new AtomicLong();
    private final AtomicLong deadLettered = new AtomicLong();
    private final AtomicLong storeFailures = new AtomicLong();

    /** A batch (or a single event of a refused batch) was committed with this outcome. */
    void stored(UsageLedgerWriter.Outcome outcome) {
        batches.incrementAndGet();
        eventsRated.addAndGet(outcome.inserted());
        duplicates.addAndGet(outcome.duplicates());
    }

    void deadLettered() {
        deadLettered.incrementAndGet();
    }

    void storeFailed() {
        storeFailures.incrementAndGet();
    }

    public long batches() {
        return batches.get();
    }

    /** Events stored for the first time, rated and posted to the ledger in the same transaction. */
    public long eventsRated() {
        return eventsRated.get();
    }

    public long duplicates() {
        return duplicates.get();
    }

    public long deadLetteredCount() {
        return deadLettered.get();
    }

    /** Attempts to store a batch that failed for a reason other than its data (database away); each is retried. */
    public long storeFailures() {
        return storeFailures.get();
    }
}
