package io.maas.billing.metering;

import java.util.UUID;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/** The data of a usage event: who used which model, how many tokens, and how the request ended. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record UsageData(
        String tenantId,
        UUID apiKeyId,
        String baseModel,
        String adapter,
        String provider,
        int promptTokens,
        int completionTokens,
        UsageStatus status,
        String finishReason,
        Long timeToFirstTokenMs,
        Long durationMs,
        String traceId) {

    void validate() {
        require(tenantId != null && !tenantId.isBlank(), "data.tenantId is required");
        require(tenantId.length() <= 64, "data.tenantId is longer than 64 characters");
        require(baseModel != null && !baseModel.isBlank(), "data.baseModel is required");
        require(finishReason == null || finishReason.length() <= 32, "data.finishReason is longer than 32 characters");
        require(traceId == null || traceId.length() <= 64, "data.traceId is longer than 64 characters");
        require(status != null, "data.status is required");
        require(promptTokens >= 0, "data.promptTokens must be >= 0");
        require(completionTokens >= 0, "data.completionTokens must be >= 0");
    }

    public int totalTokens() {
        return promptTokens + completionTokens;
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new InvalidUsageEventException(message);
        }
    }
}
