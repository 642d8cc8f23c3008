package io.maas.gateway.openai;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonProperty;

import io.maas.inference.engine.TokenLogprob;

/** Legacy completions logprobs: parallel lists of tokens, their logprobs, top alternatives and text offsets. */
public record CompletionLogprobs(
        List<String> tokens,
        @JsonProperty("token_logprobs") List<Double> tokenLogprobs,
        @JsonProperty("top_logprobs") List<Map<String, Double>> topLogprobs,
        @JsonProperty("text_offset") List<Integer> textOffset) {

    public static CompletionLogprobs of(List<TokenLogprob> tokens, int startOffset) {
        List<String> names = new ArrayList<>();
        List<Double> logprobs = new ArrayList<>();
        List<Map<String, Double>> tops = new ArrayList<>();
        List<Integer> offsets = new ArrayList<>();
        int offset = startOffset;
        for (TokenLogprob t : tokens) {
            names.add(t.token());
            logprobs.add(t.logprob());
            Map<String, Double> top = new LinkedHashMap<>();
            t.topLogprobs().forEach(alt -> top.putIfAbsent(alt.token(), alt.logprob()));
            tops.add(top);
            offsets.add(offset);
            offset += t.token().length();
        }
        return new CompletionLogprobs(names, logprobs, tops, offsets);
    }
}
