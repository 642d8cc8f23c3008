package io.maas.inference.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

/** Log-probabilities of a chosen token and its top alternatives from one step's raw logits (in double). */
final class Logprobs {

    private Logprobs() {
    }

    /**
     * log-softmax over {@code logits[0..vocabSize)} (the model's distribution: no penalties, no temperature) at
     * {@code chosen}, plus the {@code top} most likely ids.
     */
    static TokenLogprob of(float[] logits, int vocabSize, int chosen, int top, IntFunction<String> tokenText) {
        double logNormalizer = logSumExp(logits, vocabSize);
        List<TokenLogprob.TopLogprob> alternatives = new ArrayList<>(top);
        for (int id : TopTokens.top(logits, vocabSize, Math.min(top, vocabSize))) {
            alternatives.add(new TokenLogprob.TopLogprob(id, tokenText.apply(id), logits[id] - logNormalizer));
        }
        return new TokenLogprob(chosen, tokenText.apply(chosen), logits[chosen] - logNormalizer, alternatives);
    }

    /** log Σ exp(x), shifted by the maximum so nothing overflows. */
    static double logSumExp(float[] x, int n) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, x[i]);
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += Math.exp(x[i] - max);
        }
        return max + Math.log(sum);
    }
}
