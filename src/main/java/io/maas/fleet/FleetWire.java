package io.maas.fleet;

import java.io.IOException;
import java.security.MessageDigest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;

import io.maas.inference.engine.TokenLogprob;

/**
 * The internal gateway → worker protocol (docs/adr/0014-worker-fleet.md): a validated generation request in, one
 * JSON object per line out (deltas, then a finish line or an error line). Both sides use {@link #JSON}.
 */
public final class FleetWire {
    /** Header carrying the shared secret {@code maas.fleet.internal-token}. */
    public static final String TOKEN_HEADER = "X-Maas-Internal-Token";
    /** Newline-delimited JSON. */
    public static final String NDJSON = "application/x-ndjson";
    public static final String GENERATE_PATH = "/internal/v1/generate";
    public static final String STATUS_PATH = "/internal/v1/status";
    public static final String EMBEDDINGS_PATH = "/internal/v1/embeddings";

    public static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .setSerializationInclusion(JsonInclude.Include.NON_NULL)
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private FleetWire() {
    }

    /** A request the gateway has already validated, admitted and will meter: the worker only generates. */
    public record Work(String requestId, String model, String adapter, String prompt, int maxTokens,
            double temperature, double topP, int topK, Long seed, List<String> stop, double presencePenalty,
            double frequencyPenalty, boolean logprobs, int topLogprobs) {
    }

    /**
     * One line of the answer: a delta ({@code text}, {@code logprobs}), the finish ({@code finishReason} with the
     * token counts) or an error ({@code error} with the HTTP status the gateway would have answered).
     */
    public record Line(String text, List<TokenLogprob> logprobs, String finishReason, Integer promptTokens,
            Integer completionTokens, Long ttftMs, Failure error) {

        public static Line delta(String text, List<TokenLogprob> logprobs) {
            return new Line(text, logprobs.isEmpty() ? null : logprobs, null, null, null, null, null);
        }

        public static Line finish(String finishReason, int promptTokens, int completionTokens, long ttftMs) {
            return new Line(null, null, finishReason, promptTokens, completionTokens, ttftMs, null);
        }

        public static Line failure(int status, String type, String code, String message) {
            return new Line(null, null, null, null, null, null, new Failure(status, type, code, message));
        }
    }

    /** Why the worker could not (or could no longer) generate. */
    public record Failure(int status, String type, String code, String message) {
    }

    /**
     * What a worker serves and how busy it is, polled by gateways. {@code embeddingModels} is null from a worker
     * that predates it (it serves none then, as far as a gateway knows).
     */
    public record Status(String role, List<String> models, Map<String, List<String>> adapters, int queued,
            int running, int inFlight, boolean draining, List<String> embeddingModels) {
    }

    /** Texts to embed, already validated, admitted and to be metered by the gateway. */
    public record EmbedWork(String requestId, String model, List<String> inputs) {
    }

    /** The answer to an {@link EmbedWork}: one vector per input, in order, with the tokens the input counted. */
    public record Embedded(List<Vector> data) {
    }

    /** One input's embedding and its token count. */
    public record Vector(float[] embedding, int tokens) {
    }

    public static byte[] write(Object value) {
        try {
            return JSON.writeValueAsBytes(value);
        } catch (IOException e) {
            throw new IllegalStateException("fleet message cannot be encoded", e);
        }
    }

    /** Constant-time comparison of the presented and the configured secret. */
    public static boolean tokenMatches(String presented, String expected) {
        if (presented == null || expected == null || expected.isEmpty()) {
            return false;
        }
        return MessageDigest.isEqual(presented.getBytes(StandardCharsets.UTF_8),
                expected.getBytes(StandardCharsets.UTF_8));
    }
}
