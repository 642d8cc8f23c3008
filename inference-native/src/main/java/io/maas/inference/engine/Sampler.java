package io.maas.inference.engine;

import java.util.Arrays;
import java.util.Random;

/**
 * Picks each next token from one step's logits with OpenAI's parameters (penalties, temperature, top-k, top-p,
 * seed); pure Java, one instance per request, not thread-safe.
 */
final class Sampler {

    // Order as in vLLM and Hugging Face: penalties on the logits, then temperature, then top-k, then top-p over the
    // renormalised top-k set, then one draw.

    /**
     * Probability mass the nucleus may fall short of top_p: float logits put ~1e-7 relative error into each
     * probability, so a token that reaches top_p exactly must not pull in the next one through rounding.
     */
    static final double TOP_P_SLACK = 1e-6;
    /** Tokens below this weight relative to the best are sorted for top-p only if the others fall short of it. */
    private static final double NUCLEUS_PREFILTER = 1e-6;

    private final int vocabSize;
    private final double temperature;
    private final double topP;
    private final int topK;
    private final float presencePenalty;
    private final float frequencyPenalty;
    private final Random random;
    /** Occurrences so far per id, and the distinct ids, so penalties cost per generated token, not per vocabulary. */
    private final int[] counts;
    private int[] seen = new int[16];
    private int seenCount;
    private final float[] penalised;
    private final double[] weights;
    private final int[] order;

    Sampler(GenerationRequest request, int vocabSize) {
        this.vocabSize = vocabSize;
        this.temperature = request.temperature();
        this.topP = request.topP();
        this.topK = request.topK();
        this.presencePenalty = (float) request.presencePenalty();
        this.frequencyPenalty = (float) request.frequencyPenalty();
        // java.util.Random's algorithm is fixed by its specification, so a seed replays on any JVM.
        this.random = request.seed().isPresent() ? new Random(request.seed().getAsLong()) : new Random();
        boolean penalties = presencePenalty != 0 || frequencyPenalty != 0;
        this.counts = penalties ? new int[vocabSize] : null;
        this.penalised = new float[vocabSize];
        boolean greedy = request.greedy();
        this.weights = greedy ? null : new double[vocabSize];
        this.order = greedy ? null : new int[vocabSize];
    }

    /**
     * The next token from {@code logits} (only ids below the vocabulary size are candidates; the array is not
     * changed). The choice counts as generated for later penalties.
     */
    int sample(float[] logits) {
        if (logits.length < vocabSize) {
            throw new IllegalArgumentException("logits row has " + logits.length + " entries, need " + vocabSize);
        }
        System.arraycopy(logits, 0, penalised, 0, vocabSize);
        applyPenalties(penalised);
        int chosen = temperature == 0 || topK == 1 ? argmax(penalised, vocabSize) : draw(penalised);
        record(chosen);
        return chosen;
    }

    /** OpenAI: logit[j] -= count[j] * frequency_penalty + (count[j] > 0 ? presence_penalty : 0). */
    private void applyPenalties(float[] z) {
        if (counts == null) {
            return;
        }
        for (int i = 0; i < seenCount; i++) {
            int id = seen[i];
            z[id] -= counts[id] * frequencyPenalty + presencePenalty;
        }
    }

    private void record(int id) {
        if (counts == null) {
            return;
        }
        if (counts[id]++ == 0) {
            if (seenCount == seen.length) {
                seen = Arrays.copyOf(seen, seenCount * 2);
            }
            seen[seenCount++] = id;
        }
    }

    private int draw(float[] z) {
        int candidates;
        if (topK > 0 && topK < vocabSize) {
            int[] top = TopTokens.top(z, vocabSize, topK);
            System.arraycopy(top, 0, order, 0, topK);
            candidates = topK;
        } else {
            for (int i = 0; i < vocabSize; i++) {
                order[i] = i;
            }
            candidates = vocabSize;
        }
        // Weights relative to the best candidate: exp((z - max) / T) cannot overflow, and the best weighs 1.
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < candidates; i++) {
            max = Math.max(max, z[order[i]]);
        }
        double total = 0;
        for (int i = 0; i < candidates; i++) {
            int id = order[i];
            double w = Math.exp((z[id] - (double) max) / temperature);
            weights[id] = w;
            total += w;
        }
        if (topP < 1) {
            candidates = nucleus(z, candidates, total);
            total = 0;
            for (int i = 0; i < candidates; i++) {
                total += weights[order[i]];
            }
        }
        double u = random.nextDouble() * total;
        for (int i = 0; i < candidates; i++) {
            u -= weights[order[i]];
            if (u < 0) {
                return order[i];
            }
        }
        return order[candidates - 1]; // u ran past the end only by rounding
    }

    /**
     * Narrows {@code order[0..candidates)} to the most likely tokens whose mass first reaches top_p, most likely
     * first; returns how many. Only tokens that can matter are sorted: if the ones within a factor of 1e6 of the
     * best already reach top_p, the nucleus lies among them.
     */
    private int nucleus(float[] z, int candidates, double total) {
        double target = (topP - TOP_P_SLACK) * total;
        int kept = 0;
        double keptMass = 0;
        for (int i = 0; i < candidates; i++) {
            int id = order[i];
            if (weights[id] >= NUCLEUS_PREFILTER) {
                order[kept++] = id;
                keptMass += weights[id];
            }
        }
        if (keptMass < target) {
            // Rare (a nearly flat distribution): sort everything. Refill order in id order first.
            kept = refill(candidates);
        }
        TopTokens.sortDescending(order, kept, z);
        double cumulative = 0;
        for (int i = 0; i < kept; i++) {
            cumulative += weights[order[i]];
            if (cumulative >= target) {
                return i + 1;
            }
        }
        return kept;
    }

    /** Restores the full candidate set after the prefilter dropped some (top-k sets are never prefiltered away). */
    private int refill(int candidates) {
        if (topK > 0 && topK < vocabSize) {
            int[] top = TopTokens.top(penalised, vocabSize, topK);
            System.arraycopy(top, 0, order, 0, topK);
            return topK;
        }
        for (int i = 0; i < vocabSize; i++) {
            order[i] = i;
        }
        return candidates;
    }

    /** Index of the largest of {@code values[0..n)}; ties go to the lowest index (as PyTorch's argmax). */
    static int argmax(float[] values, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best;
    }
}
