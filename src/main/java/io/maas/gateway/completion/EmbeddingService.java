package io.maas.gateway.completion;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import com.fasterxml.jackson.databind.JsonNode;

import io.maas.billing.metering.UsageData;
import io.maas.billing.metering.UsageEvent;
import io.maas.billing.metering.UsageStatus;
import io.maas.gateway.admission.RateLimiter;
import io.maas.gateway.api.OpenAiException;
import io.maas.gateway.auth.Caller;
import io.maas.gateway.inference.EmbeddingRegistry;
import io.maas.gateway.inference.GenerationExecutor;
import io.maas.gateway.inference.ModelRegistry;
import io.maas.gateway.metering.TraceContext;
import io.maas.gateway.metering.UsagePublisher;
import io.maas.gateway.openai.EmbeddingRequest;
import io.maas.gateway.openai.EmbeddingResponse;
import io.maas.gateway.routing.WorkerFleet;
import io.maas.inference.embedding.EmbeddingModel;

/**
 * Serves {@code /v1/embeddings} on the configured embedding models (this process's, or a worker's when workers
 * report the model), metered here like any other request.
 */
@ApplicationScoped
public class EmbeddingService {
    /** Most inputs one request may carry (OpenAI's bound). */
    static final int MAX_INPUTS = 2_048;

    @Inject
    EmbeddingRegistry embeddings;
    @Inject
    ModelRegistry generators;
    @Inject
    GenerationExecutor engineThreads;
    @Inject
    RateLimiter rateLimiter;
    @Inject
    UsagePublisher publisher;
    @Inject
    GenerationService generation;
    @Inject
    HardLimitCheck hardLimit;
    @Inject
    WorkerFleet fleet;

    public EmbeddingResponse embed(Caller caller, EmbeddingRequest request, TraceContext trace, String requestId) {
        String modelId = request.model();
        if (modelId == null || modelId.isBlank()) {
            throw OpenAiException.invalidRequest("You must provide a model parameter.", "model");
        }
        // With workers configured, a model a live worker reports is embedded there (a gateway loads none itself),
        // as generation goes to workers; otherwise this process's own model.
        boolean remote = fleet.enabled() && fleet.embeddingModels().contains(modelId);
        EmbeddingModel model = remote ? null : embeddings.find(modelId).filter(m -> caller.mayUse(modelId))
                .orElseThrow(() -> notServed(caller, modelId));
        if (remote && !caller.mayUse(modelId)) {
            throw notServed(caller, modelId);
        }
        List<String> inputs = inputs(request.input());
        boolean base64 = encoding(request.encodingFormat());
        if (request.dimensions() != null) {
            throw OpenAiException.invalidValue("'dimensions' is not supported by model '" + modelId + "'.", "dimensions");
        }
        hardLimit.check(caller.tenantId());
        long charsEstimate = inputs.stream().mapToLong(String::length).sum();
        RateLimiter.Permit permit = rateLimiter.admit(caller, Math.max(1, charsEstimate / 2));
        UUID eventId = UUID.randomUUID();
        Instant created = Instant.now();
        long started = System.nanoTime();
        List<EmbeddingModel.Embedding> vectors;
        int tokens = 0;
        try {
            vectors = remote
                    ? fleet.embed(modelId, inputs, requestId, trace).stream()
                            .map(v -> new EmbeddingModel.Embedding(v.embedding(), v.tokens())).toList()
                    : engineThreads.call(() -> model.embed(inputs));
            tokens = vectors.stream().mapToInt(EmbeddingModel.Embedding::tokens).sum();
        } finally {
            permit.settle(tokens);
        }
        publisher.publish(UsageEvent.of(eventId, generation.eventSource(), created, trace.traceparent(), requestId,
                new UsageData(caller.tenantId(), caller.apiKeyId(), modelId, null, null, tokens, 0,
                        UsageStatus.COMPLETED, null, null, (System.nanoTime() - started) / 1_000_000, trace.traceId())));
        List<EmbeddingResponse.Data> data = new ArrayList<>(vectors.size());
        for (int i = 0; i < vectors.size(); i++) {
            float[] v = vectors.get(i).vector();
            data.add(new EmbeddingResponse.Data("embedding", i, base64 ? base64(v) : v));
        }
        return new EmbeddingResponse("list", data, modelId, new EmbeddingResponse.EmbeddingUsage(tokens, tokens));
    }

    private OpenAiException notServed(Caller caller, String modelId) {
        return generators.find(modelId).isPresent() && caller.mayUse(modelId)
                ? OpenAiException.invalidValue("The model '" + modelId + "' does not support embeddings.", "model")
                : OpenAiException.modelNotFound(modelId);
    }

    private static List<String> inputs(JsonNode input) {
        List<String> out = new ArrayList<>();
        if (input != null && input.isTextual()) {
            out.add(input.textValue());
        } else if (input != null && input.isArray() && !input.isEmpty()) {
            for (JsonNode item : input) {
                if (!item.isTextual()) {
                    throw OpenAiException.invalidRequest("'input' must be a string or a list of strings.", "input");
                }
                out.add(item.textValue());
            }
        } else {
            throw OpenAiException.invalidRequest("'input' must be a non-empty string or list of strings.", "input");
        }
        if (out.size() > MAX_INPUTS) {
            throw OpenAiException.invalidValue("At most " + MAX_INPUTS + " inputs per request.", "input");
        }
        if (out.stream().anyMatch(String::isEmpty)) {
            throw OpenAiException.invalidValue("'input' must not contain empty strings.", "input");
        }
        return out;
    }

    private static boolean encoding(String format) {
        if (format == null || "float".equals(format)) {
            return false;
        }
        if ("base64".equals(format)) {
            return true;
        }
        throw OpenAiException.invalidValue("'encoding_format' must be 'float' or 'base64'.", "encoding_format");
    }

    /** Little-endian float32 bytes, as OpenAI encodes them. */
    private static String base64(float[] v) {
        ByteBuffer bytes = ByteBuffer.allocate(v.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            bytes.putFloat(f);
        }
        return Base64.getEncoder().encodeToString(bytes.array());
    }
}
