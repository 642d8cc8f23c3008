package io.maas.billing.rating;

import java.time.Instant;
import java.util.UUID;

import io.maas.billing.metering.UsageData;
import io.maas.billing.metering.UsageEvent;
import io.maas.billing.metering.UsageStatus;

/**
 * The fields of one usage event that rating reads, checked once here so the rating code can rely on them.
 * Prompt and completion tokens are kept apart because pay-as-you-go prices them differently.
 */
public record Usage(
        UUID eventId,
        Instant time,
        String tenantId,
        ModelRef model,
        String providerId,
        long tokensPrompt,
        long tokensCompletion,
        UsageStatus status) {

    public Usage {
        Check.notNull(eventId, "eventId");
        Check.notNull(time, "time");
        Check.notBlank(tenantId, "tenantId");
        Check.notNull(model, "model");
        Check.notNegative(tokensPrompt, "tokensPrompt");
        Check.notNegative(tokensCompletion, "tokensCompletion");
        Check.notNull(status, "status");
        // An adapter's charges are split with its provider; without one the split would have no payee.
        Check.that(!model.isAdapter() || (providerId != null && !providerId.isBlank()),
                "usage of adapter " + model + " names no provider");
    }

    /** Reads the event's id, time and data; the model reference refuses a missing base model. */
    public static Usage of(UsageEvent event) {
        UsageData data = event.data();
        ModelRef model = data.adapter() == null
                ? ModelRef.base(data.baseModel())
                : ModelRef.adapter(data.baseModel(), data.adapter());
        return new Usage(event.id(), event.time(), data.tenantId(), model, data.provider(),
                data.promptTokens(), data.completionTokens(), data.status());
    }

    public long tokensTotal() {
        return tokensPrompt + tokensCompletion;
    }

    /**
     * Failed requests are not charged: the platform did not deliver. Cancelled ones are, for the tokens they
     * used: the work was done (the client walked away), and otherwise cancelling just before the end of a
     * long generation would make it free.
     */
    public boolean isCharged() {
        return status != UsageStatus.FAILED;
    }
}
