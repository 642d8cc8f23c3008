package io.maas.gateway.completion;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import com.fasterxml.jackson.databind.JsonNode;

import io.maas.app.config.MaasConfig;
import io.maas.billing.metering.UsageData;
import io.maas.billing.metering.UsageEvent;
import io.maas.billing.metering.UsageStatus;
import io.maas.gateway.api.OpenAiException;
import io.maas.gateway.auth.Caller;
import io.maas.gateway.inference.GenerationSlots;
import io.maas.gateway.inference.ModelRegistry;
import io.maas.gateway.metering.TraceContext;
import io.maas.gateway.metering.UsagePublisher;
import io.maas.gateway.openai.CompletionRequest;
import io.maas.gateway.openai.CompletionResponse;
import io.maas.gateway.openai.Usage;
import io.maas.inference.ContextLengthExceededException;
import io.maas.inference.InferenceException;
import io.maas.inference.engine.GenerationRequest;
import io.maas.inference.engine.GenerationResult;
import io.maas.inference.engine.LlamaEngine;

/**
 * Serves one text completion: validates it, resolves the model, generates within a slot, and meters the
 * tokens (for failures too) under an event id that is also the response id.
 */
@ApplicationScoped
public class CompletionService {
    @Inject
    MaasConfig config;
    @Inject
    ModelRegistry models;
    @Inject
    GenerationSlots slots;
    @Inject
    UsagePublisher publisher;

    private String source;

    @PostConstruct
    void init() {
        source = config.metering().source() + "/" + hostName();
    }

    public CompletionResponse complete(Caller caller, CompletionRequest request, TraceContext trace) {
        String modelId = requireModel(request.model());
        String prompt = prompt(request.prompt());
        int maxTokens = maxTokens(request.maxTokens());
        if (Boolean.TRUE.equals(request.stream())) {
            throw OpenAiException.invalidValue("Streaming is not supported by this server yet.", "stream");
        }
        // A key scoped to other models gets the same answer as for a model that does not exist, as OpenAI does.
        LlamaEngine engine = models.find(modelId).filter(e -> caller.mayUse(modelId))
                .orElseThrow(() -> OpenAiException.modelNotFound(modelId));
        if (!publisher.isAccepting()) {
            // Serving now would produce usage that cannot be recorded durably: refuse instead of losing revenue.
            throw new OpenAiException(503, OpenAiException.SERVER,
                    "Usage metering is backed up; please retry shortly.", null, "metering_unavailable",
                    java.util.Map.of("Retry-After", "5"));
        }

        UUID eventId = UUID.randomUUID();
        Instant started = Instant.now();
        long startedNanos = System.nanoTime();
        GenerationResult result;
        try (GenerationSlots.Slot slot = slots.acquire()) {
            result = engine.generate(new GenerationRequest(prompt, maxTokens));
        } catch (ContextLengthExceededException e) {
            throw e; // refused before any compute: nothing to meter
        } catch (InferenceException | IllegalStateException e) {
            publisher.publish(event(eventId, started, trace, caller, modelId, engine.countTokens(prompt), 0,
                    UsageStatus.FAILED, null, null, elapsedMs(startedNanos)));
            throw e;
        }
        publisher.publish(event(eventId, started, trace, caller, modelId, result.promptTokens(), result.completionTokens(),
                UsageStatus.COMPLETED, result.finishReason().wireName(), null, elapsedMs(startedNanos)));
        return new CompletionResponse("cmpl-" + eventId.toString().replace("-", ""), CompletionResponse.OBJECT,
                started.getEpochSecond(), modelId,
                List.of(new CompletionResponse.Choice(result.text(), 0, null, result.finishReason().wireName())),
                Usage.of(result.promptTokens(), result.completionTokens()));
    }

    private UsageEvent event(UUID id, Instant time, TraceContext trace, Caller caller, String model, int promptTokens,
            int completionTokens, UsageStatus status, String finishReason, Long ttftMs, long durationMs) {
        return UsageEvent.of(id, source, time, trace.traceparent(), new UsageData(caller.tenantId(), caller.apiKeyId(),
                model, null, null, promptTokens, completionTokens, status, finishReason, ttftMs, durationMs,
                trace.traceId()));
    }

    private static String requireModel(String model) {
        if (model == null || model.isBlank()) {
            throw OpenAiException.invalidRequest("You must provide a model parameter.", "model");
        }
        return model;
    }

    private static String prompt(JsonNode prompt) {
        if (prompt == null || prompt.isNull()) {
            return "";
        }
        if (prompt.isTextual()) {
            return prompt.textValue();
        }
        if (prompt.isArray() && prompt.size() == 1 && prompt.get(0).isTextual()) {
            return prompt.get(0).textValue();
        }
        if (prompt.isArray() && prompt.size() > 1 && prompt.get(0).isTextual()) {
            throw OpenAiException.invalidValue("Only one prompt per request is supported.", "prompt");
        }
        throw OpenAiException.invalidRequest("'prompt' must be a string.", "prompt");
    }

    private int maxTokens(Integer requested) {
        if (requested == null) {
            return config.inference().defaultMaxTokens();
        }
        int limit = config.inference().maxTokensLimit();
        if (requested < 1 || requested > limit) {
            throw OpenAiException.invalidValue("'max_tokens' must be between 1 and " + limit + ", was " + requested + ".",
                    "max_tokens");
        }
        return requested;
    }

    private static long elapsedMs(long startedNanos) {
        return (System.nanoTime() - startedNanos) / 1_000_000;
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "unknown-host";
        }
    }
}
