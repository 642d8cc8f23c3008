package io.maas.gateway.inference;

import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.maas.app.config.MaasConfig;
import io.maas.gateway.api.OpenAiException;

/**
 * Bounds how many requests generate at once. A request that cannot get a slot within the queue timeout
 * is refused with 503 and Retry-After instead of piling up threads and memory.
 */
@ApplicationScoped
public class GenerationSlots {
    private final Semaphore slots;
    private final long queueTimeoutMs;

    @Inject
    public GenerationSlots(MaasConfig config) {
        this.slots = new Semaphore(config.inference().maxConcurrent(), true);
        this.queueTimeoutMs = config.inference().queueTimeout().toMillis();
    }

    /** A held slot; closing it gives the slot back. */
    public interface Slot extends AutoCloseable {
        @Override
        void close();
    }

    public Slot acquire() {
        try {
            if (!slots.tryAcquire(queueTimeoutMs, TimeUnit.MILLISECONDS)) {
                throw new OpenAiException(503, OpenAiException.SERVER,
                        "The engine is currently overloaded, please try again later.", null, "engine_overloaded",
                        Map.of("Retry-After", "1"));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OpenAiException(503, OpenAiException.SERVER, "The request was interrupted while queued.", null,
                    "engine_overloaded");
        }
        return slots::release;
    }
}
