package io.maas.gateway.openai;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonProperty;

import io.maas.inference.engine.TokenLogprob;

/** Chat API logprobs: {@code {"content":[{token, logprob, bytes, top_logprobs:[…]}]}}. */
public record ChatLogprobs(List<Entry> content) {

    /** One generated token. */
    public record Entry(String token, double logprob, List<Integer> bytes,
            @JsonProperty("top_logprobs") List<Top> topLogprobs) {
    }

    /** An alternative at the same position. */
    public record Top(String token, double logprob, List<Integer> bytes) {
    }

    public static ChatLogprobs of(List<TokenLogprob> tokens) {
        List<Entry> entries = new ArrayList<>(tokens.size());
        for (TokenLogprob t : tokens) {
            List<Top> top = new ArrayList<>(t.topLogprobs().size());
            for (TokenLogprob.TopLogprob alt : t.topLogprobs()) {
                top.add(new Top(alt.token(), alt.logprob(), bytes(alt.token())));
            }
            entries.add(new Entry(t.token(), t.logprob(), bytes(t.token()), top));
        }
        return new ChatLogprobs(entries);
    }

    private static List<Integer> bytes(String token) {
        byte[] raw = token.getBytes(StandardCharsets.UTF_8);
        List<Integer> out = new ArrayList<>(raw.length);
        for (byte b : raw) {
            out.add(b & 0xff);
        }
        return out;
    }
}
