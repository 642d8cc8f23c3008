package io.maas.inference.engine;

import io.maas.inference.InvalidGenerationParameterException;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A completion request: the prompt as raw text (render chats with {@link LlamaEngine#renderChat}), a token budget and
 * OpenAI's sampling parameters. Out-of-range values raise {@link InvalidGenerationParameterException} naming the
 * parameter as the OpenAI API spells it ({@code max_tokens}, {@code top_p}, ...).
 *
 * @param temperature       0 picks the most likely token (greedy); otherwise logits are divided by it. 0..2
 * @param topP              nucleus sampling: only the most likely tokens whose probabilities add up to this. (0, 1]
 * @param topK              only the k most likely tokens; 0 turns it off. ≥ 0
 * @param seed              same seed and same request give the same tokens; empty draws a fresh random seed
 * @param stop              up to {@value #MAX_STOP_SEQUENCES} strings that end the text (left out of it)
 * @param presencePenalty   subtracted once from the logit of every token already generated. -2..2
 * @param frequencyPenalty  subtracted per earlier occurrence from a generated token's logit. -2..2
 * @param logprobs          report the chosen tokens' log-probabilities
 * @param topLogprobs       and this many most likely alternatives per token (needs {@code logprobs}). 0..20
 * @param adapter           id of a LoRA adapter loaded with {@link LlamaEngine#loadAdapter}; empty runs the bare base
 */
public record GenerationRequest(String prompt, int maxTokens, double temperature, double topP, int topK,
                                OptionalLong seed, List<String> stop, double presencePenalty,
                                double frequencyPenalty, boolean logprobs, int topLogprobs,
                                Optional<String> adapter) {

    public static final int MAX_STOP_SEQUENCES = 4;
    /** Longer stop strings would hold back that much streamed text; real ones are a few characters. */
    public static final int MAX_STOP_CHARS = 256;
    public static final int MAX_TOP_LOGPROBS = 20;
    public static final double MAX_TEMPERATURE = 2.0;
    public static final double MAX_PENALTY = 2.0;

    public GenerationRequest {
        if (prompt == null) {
            throw invalid("prompt", "prompt must not be null");
        }
        if (maxTokens < 1) {
            throw invalid("max_tokens", "max_tokens must be at least 1, was " + maxTokens);
        }
        if (!(temperature >= 0 && temperature <= MAX_TEMPERATURE)) { // also rejects NaN
            throw invalid("temperature", "temperature must be between 0 and 2, was " + temperature);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw invalid("top_p", "top_p must be greater than 0 and at most 1, was " + topP);
        }
        if (topK < 0) {
            throw invalid("top_k", "top_k must be 0 (off) or positive, was " + topK);
        }
        if (seed == null) {
            throw invalid("seed", "seed must not be null (use OptionalLong.empty())");
        }
        stop = validStop(stop);
        if (!(Math.abs(presencePenalty) <= MAX_PENALTY)) {
            throw invalid("presence_penalty", "presence_penalty must be between -2 and 2, was " + presencePenalty);
        }
        if (!(Math.abs(frequencyPenalty) <= MAX_PENALTY)) {
            throw invalid("frequency_penalty", "frequency_penalty must be between -2 and 2, was "
                    + frequencyPenalty);
        }
        if (topLogprobs < 0 || topLogprobs > MAX_TOP_LOGPROBS) {
            throw invalid("top_logprobs", "top_logprobs must be between 0 and 20, was " + topLogprobs);
        }
        if (topLogprobs > 0 && !logprobs) {
            throw invalid("logprobs", "logprobs must be true when top_logprobs is set");
        }
        if (adapter == null) {
            adapter = Optional.empty();
        }
        if (adapter.isPresent() && adapter.get().isBlank()) {
            throw invalid("model", "adapter id must not be blank");
        }
    }

    /** A request on the bare base model (no adapter): the record as it was before adapters. */
    public GenerationRequest(String prompt, int maxTokens, double temperature, double topP, int topK,
                             OptionalLong seed, List<String> stop, double presencePenalty, double frequencyPenalty,
                             boolean logprobs, int topLogprobs) {
        this(prompt, maxTokens, temperature, topP, topK, seed, stop, presencePenalty, frequencyPenalty, logprobs,
                topLogprobs, Optional.empty());
    }

    /** Greedy decoding (temperature 0, no penalties, no stop strings, no logprobs), as before sampling existed. */
    public GenerationRequest(String prompt, int maxTokens) {
        this(prompt, maxTokens, 0.0, 1.0, 0, OptionalLong.empty(), List.of(), 0.0, 0.0, false, 0, Optional.empty());
    }

    /** Defaults as OpenAI's: temperature 1, top_p 1, no top_k, no seed, no stop, no penalties, no logprobs. */
    public static Builder builder() {
        return new Builder();
    }

    /** Whether the choice is the argmax every step (temperature 0 or top_k 1), so the seed plays no part. */
    public boolean greedy() {
        return temperature == 0 || topK == 1;
    }

    private static List<String> validStop(List<String> stop) {
        if (stop == null) {
            return List.of();
        }
        if (stop.size() > MAX_STOP_SEQUENCES) {
            throw invalid("stop", "stop may hold at most " + MAX_STOP_SEQUENCES + " sequences, got " + stop.size());
        }
        List<String> copy = new ArrayList<>(stop.size());
        for (String s : stop) {
            if (s == null || s.isEmpty()) {
                throw invalid("stop", "stop sequences must be non-empty strings");
            }
            if (s.length() > MAX_STOP_CHARS) {
                throw invalid("stop", "a stop sequence may have at most " + MAX_STOP_CHARS + " characters, got "
                        + s.length());
            }
            if (!wellFormed(s)) {
                // A lone surrogate could only match half of a character.
                throw invalid("stop", "stop sequences must be well-formed Unicode (no lone surrogates)");
            }
            copy.add(s);
        }
        return List.copyOf(copy);
    }

    private static boolean wellFormed(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 == s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) {
                    return false;
                }
                i++;
            } else if (Character.isLowSurrogate(c)) {
                return false;
            }
        }
        return true;
    }

    private static InvalidGenerationParameterException invalid(String param, String message) {
        return new InvalidGenerationParameterException(param, message);
    }

    /** Builds a {@link GenerationRequest}: {@code setX} for required values, {@code optX} for optional ones. */
    public static final class Builder {

        private String prompt;
        private Integer maxTokens;
        private double temperature = 1.0;
        private double topP = 1.0;
        private int topK;
        private OptionalLong seed = OptionalLong.empty();
        private List<String> stop = List.of();
        private double presencePenalty;
        private double frequencyPenalty;
        private boolean logprobs;
        private int topLogprobs;
        private Optional<String> adapter = Optional.empty();

        private Builder() {
        }

        public Builder setPrompt(String prompt) {
            this.prompt = prompt;
            return this;
        }

        public Builder setMaxTokens(int maxTokens) {
            this.maxTokens = maxTokens;
            return this;
        }

        public Builder optTemperature(double temperature) {
            this.temperature = temperature;
            return this;
        }

        public Builder optTopP(double topP) {
            this.topP = topP;
            return this;
        }

        public Builder optTopK(int topK) {
            this.topK = topK;
            return this;
        }

        public Builder optSeed(long seed) {
            this.seed = OptionalLong.of(seed);
            return this;
        }

        public Builder optStop(List<String> stop) {
            this.stop = stop;
            return this;
        }

        public Builder optPresencePenalty(double presencePenalty) {
            this.presencePenalty = presencePenalty;
            return this;
        }

        public Builder optFrequencyPenalty(double frequencyPenalty) {
            this.frequencyPenalty = frequencyPenalty;
            return this;
        }

        /** The chosen tokens' log-probabilities (OpenAI's {@code logprobs: true}). */
        public Builder optLogprobs(boolean logprobs) {
            this.logprobs = logprobs;
            return this;
        }

        /** Alternatives per token, 0..20; a positive value also turns {@code logprobs} on. */
        public Builder optTopLogprobs(int topLogprobs) {
            this.topLogprobs = topLogprobs;
            if (topLogprobs > 0) {
                this.logprobs = true;
            }
            return this;
        }

        /** Runs the request with the engine's LoRA adapter of this id (null: the bare base). */
        public Builder optAdapter(String adapterId) {
            this.adapter = Optional.ofNullable(adapterId);
            return this;
        }

        public GenerationRequest build() {
            if (maxTokens == null) {
                throw invalid("max_tokens", "max_tokens is required");
            }
            return new GenerationRequest(prompt, maxTokens, temperature, topP, topK, seed, stop, presencePenalty,
                    frequencyPenalty, logprobs, topLogprobs, adapter);
        }
    }
}
