package io.maas.app.scheduling;

import java.time.Instant;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.maas.app.config.MaasConfig;
import io.maas.billing.invoice.InvoiceService;
import io.maas.billing.invoice.Invoicing;
import io.quarkus.scheduler.Scheduled;

/**
 * Finalizes the invoices of ended periods on a schedule ({@code maas.invoicing.finalize-every}), once the grace
 * period after the period's end has passed. Several gateway instances may run it: each batch takes a PostgreSQL
 * advisory lock, so only one instance finalizes at a time and the others skip that round (docs/adr/0012).
 */
@ApplicationScoped
public class InvoiceFinalizationJob {
    /** The scheduler's name for this job. */
    public static final String IDENTITY = "invoice-finalization";
    private static final Logger LOG = Logger.getLogger(InvoiceFinalizationJob.class);
    /** Bound on batches one run does, so a run always ends (10,000 batches of the default size = 10M invoices). */
    private static final int MAX_BATCHES = 10_000;

    @Inject
    InvoiceService invoices;
    @Inject
    MaasConfig config;

    /** What one run did. */
    public record Run(int finalized, int batches, boolean busy) {
    }

    @Scheduled(identity = IDENTITY, every = "${maas.invoicing.finalize-every:1h}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void scheduled() {
        try {
            Run run = runOnce(Instant.now());
            if (run.finalized() > 0 || run.busy()) {
                LOG.infof("invoice finalization: %d invoices finalized in %d batches%s", run.finalized(), run.batches(),
                        run.busy() ? " (another instance was finalizing; left to it)" : "");
            }
        } catch (RuntimeException e) {
            // The next round retries; each batch committed so far stays finalized.
            LOG.errorf(e, "invoice finalization failed; retried at the next round");
        }
    }

    /** Finalizes, batch by batch, every draft whose period ended at least the grace period before {@code now}. */
    public Run runOnce(Instant now) {
        Instant endedBy = now.minus(config.invoicing().finalizeGrace());
        int size = config.invoicing().finalizeBatchSize();
        int total = 0;
        for (int batch = 1; batch <= MAX_BATCHES; batch++) {
            Invoicing.DueRun run = invoices.finalizeDueBatch(endedBy, now, size);
            if (run.busy()) {
                return new Run(total, batch - 1, true);
            }
            total += run.finalized().size();
            if (run.finalized().size() < size) {
                return new Run(total, batch, false);
            }
        }
        return new Run(total, MAX_BATCHES, false);
    }
}
