package io.maas.inference.engine;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The sampler on hand-made logits: greedy, temperature, top-k, top-p boundaries, penalties, seeds. */
class SamplerTest {

    private static final int DRAWS = 20_000;

    private static GenerationRequest.Builder request() {
        return GenerationRequest.builder().setPrompt("").setMaxTokens(1);
    }

    /** How often each id is drawn in {@link #DRAWS} draws from the same logits (no penalties, so draws are i.i.d.). */
    private static int[] histogram(GenerationRequest r, float[] logits) {
        Sampler sampler = new Sampler(r, logits.length);
        int[] counts = new int[logits.length];
        for (int i = 0; i < DRAWS; i++) {
            counts[sampler.sample(logits)]++;
        }
        return counts;
    }

    private static float[] logitsOfProbabilities(double... p) {
        float[] logits = new float[p.length];
        for (int i = 0; i < p.length; i++) {
            logits[i] = (float) Math.log(p[i]);
        }
        return logits;
    }

    @Test
    void temperatureZeroPicksTheArgmaxWithTiesToTheLowestId() {
        float[] logits = {0.5f, 3f, -1f, 3f, 2.9f};
        Sampler sampler = new Sampler(request().optTemperature(0).build(), logits.length);
        for (int i = 0; i < 10; i++) {
            assertEquals(1, sampler.sample(logits));
        }
        assertArrayEquals(new float[] {0.5f, 3f, -1f, 3f, 2.9f}, logits, "the caller's logits are not changed");
    }

    @Test
    void topKOfOneIsTheArgmaxAtAnyTemperature() {
        float[] logits = {0.5f, 3f, -1f, 3f, 2.9f};
        int[] counts = histogram(request().optTemperature(2).optTopK(1).optSeed(3).build(), logits);
        assertEquals(DRAWS, counts[1]);
    }

    @Test
    void samplingFollowsTheSoftmaxOfLogitsOverTheTemperature() {
        float[] logits = logitsOfProbabilities(1 / 6.0, 2 / 6.0, 3 / 6.0);
        int[] t1 = histogram(request().optSeed(1).build(), logits);
        assertFrequencies(t1, 1 / 6.0, 2 / 6.0, 3 / 6.0);
        // T = 0.5 squares the probabilities: 1 : 4 : 9.
        int[] t05 = histogram(request().optTemperature(0.5).optSeed(1).build(), logits);
        assertFrequencies(t05, 1 / 14.0, 4 / 14.0, 9 / 14.0);
    }

    @Test
    void topKKeepsOnlyTheKMostLikelyTokens() {
        float[] logits = {1f, 5f, 3f, 4f, 2f, 4f};
        int[] counts = histogram(request().optTopK(2).optSeed(7).build(), logits);
        // 5 and the first of the two 4s (ties go to the lower id); renormalised between them.
        double e = Math.exp(1);
        assertFrequencies(counts, 0, e / (e + 1), 0, 1 / (e + 1), 0, 0);
    }

    @Test
    void topPKeepsTheTokensThatReachItExactlyAndNoMore() {
        float[] logits = logitsOfProbabilities(0.125, 0.5, 0.125, 0.25);
        // Sorted: id 1 (0.5), id 3 (0.25), then ids 0 and 2 tie at 0.125 (lower id first).
        int[] atBoundary = histogram(request().optTopP(0.75).optSeed(11).build(), logits);
        assertFrequencies(atBoundary, 0, 2 / 3.0, 0, 1 / 3.0);
        int[] justAbove = histogram(request().optTopP(0.7501).optSeed(11).build(), logits);
        assertFrequencies(justAbove, 1 / 7.0, 4 / 7.0, 0, 2 / 7.0);
        int[] justBelow = histogram(request().optTopP(0.7499).optSeed(11).build(), logits);
        assertFrequencies(justBelow, 0, 2 / 3.0, 0, 1 / 3.0);
        int[] smallest = histogram(request().optTopP(0.01).optSeed(11).build(), logits);
        assertEquals(DRAWS, smallest[1], "the most likely token is always kept");
    }

    @Test
    void topPAppliesAfterTopKAndTemperature() {
        float[] logits = logitsOfProbabilities(0.4, 0.3, 0.2, 0.1);
        // top_k 3 renormalises 0.4/0.3/0.2 to 4/9, 3/9, 2/9; top_p 0.7 then needs ids 0 and 1 (7/9 ≥ 0.7).
        int[] counts = histogram(request().optTopK(3).optTopP(0.7).optSeed(5).build(), logits);
        assertFrequencies(counts, 4 / 7.0, 3 / 7.0, 0, 0);
    }

    @Test
    void frequencyPenaltyChangesTheArgmaxAsOpenAisFormulaSays() {
        // logit[j] -= count[j] * 0.3: 2.0 → 1.7 → 1.4 (< 1.5, so id 1 wins), and so on.
        assertArrayEquals(new int[] {0, 0, 1, 0, 1, 0},
                greedyRun(request().optTemperature(0).optFrequencyPenalty(0.3).build(), 6, 2.0f, 1.5f, 1.0f));
    }

    @Test
    void presencePenaltyIsSubtractedOnceHoweverOftenATokenRepeats() {
        // 2.0 - 0.6 = 1.4 < 1.5: id 1 once; then 1.5 - 0.6 = 0.9, and id 0 stays at 1.4 for ever.
        assertArrayEquals(new int[] {0, 1, 0, 0, 0},
                greedyRun(request().optTemperature(0).optPresencePenalty(0.6).build(), 5, 2.0f, 1.5f, 1.0f));
    }

    @Test
    void negativePenaltiesFavourRepetition() {
        assertArrayEquals(new int[] {1, 1, 1, 1},
                greedyRun(request().optTemperature(0).optFrequencyPenalty(-2).build(), 4, 1.0f, 1.1f, 1.0f));
    }

    @Test
    void penaltiesAlsoShapeSampledDistributions() {
        // A strong presence penalty on a sampled token makes the other one far more likely next time.
        float[] logits = {0f, 0f};
        int switches = 0;
        for (int trial = 0; trial < 2_000; trial++) {
            Sampler sampler = new Sampler(GenerationRequest.builder().setPrompt("").setMaxTokens(1)
                    .optPresencePenalty(2).optSeed(trial).build(), 2);
            int first = sampler.sample(logits);
            switches += sampler.sample(logits) != first ? 1 : 0;
        }
        // P(switch) = 1 / (1 + e^-2) ≈ 0.881.
        assertEquals(0.881, switches / 2_000.0, 0.03);
    }

    @Test
    void sameSeedRepeatsTheDrawsAndOtherSeedsDiffer() {
        float[] logits = new float[64];
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) Math.sin(i);
        }
        int[] a = draws(request().optSeed(42).build(), logits, 50);
        int[] b = draws(request().optSeed(42).build(), logits, 50);
        int[] c = draws(request().optSeed(43).build(), logits, 50);
        int[] unseeded1 = draws(request().build(), logits, 50);
        int[] unseeded2 = draws(request().build(), logits, 50);
        assertArrayEquals(a, b);
        assertNotEquals(Arrays.toString(a), Arrays.toString(c));
        assertNotEquals(Arrays.toString(unseeded1), Arrays.toString(unseeded2), "no seed: a fresh random one");
    }

    @Test
    void onlyIdsBelowTheVocabularySizeAreCandidates() {
        float[] logits = {1f, 2f, 3f, 100f}; // the padded row 3 has no text
        Sampler greedy = new Sampler(request().optTemperature(0).build(), 3);
        assertEquals(2, greedy.sample(logits));
        int[] counts = new int[4];
        Sampler sampled = new Sampler(request().optTemperature(2).optSeed(1).build(), 3);
        for (int i = 0; i < 1_000; i++) {
            counts[sampled.sample(logits)]++;
        }
        assertEquals(0, counts[3]);
    }

    @Test
    void topTokensAreSortedDescendingWithTiesToTheLowerId() {
        float[] values = {3f, 1f, 3f, 7f, -2f, 7f, 0f, 3f, 5f, 1f, 2f, 2f, 9f, -1f, 4f, 6f, 8f, 0.5f, 0.5f, 3f};
        int[] expectedAll = {12, 16, 3, 5, 15, 8, 14, 0, 2, 7, 19, 10, 11, 1, 9, 17, 18, 6, 13, 4};
        assertArrayEquals(expectedAll, TopTokens.top(values, values.length, values.length), "full sort");
        for (int k = 0; k <= values.length; k++) {
            assertArrayEquals(Arrays.copyOf(expectedAll, k), TopTokens.top(values, values.length, k), "k = " + k);
        }
        assertArrayEquals(new int[] {3, 5, 0, 2, 1}, TopTokens.top(values, 6, 5), "only the first n values");
    }

    private static int[] greedyRun(GenerationRequest r, int steps, float... logits) {
        Sampler sampler = new Sampler(r, logits.length);
        int[] out = new int[steps];
        for (int i = 0; i < steps; i++) {
            out[i] = sampler.sample(logits);
        }
        return out;
    }

    private static int[] draws(GenerationRequest r, float[] logits, int n) {
        Sampler sampler = new Sampler(r, logits.length);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = sampler.sample(logits);
        }
        return out;
    }

    /** Each id's frequency within 0.015 of its probability; ids of probability 0 never drawn. */
    private static void assertFrequencies(int[] counts, double... expected) {
        assertEquals(expected.length, counts.length);
        for (int i = 0; i < counts.length; i++) {
            if (expected[i] == 0) {
                assertEquals(0, counts[i], "id " + i + " must never be drawn: " + Arrays.toString(counts));
            } else {
                assertEquals(expected[i], counts[i] / (double) DRAWS, 0.015,
                        "id " + i + " of " + Arrays.toString(counts));
            }
        }
        assertTrue(Arrays.stream(counts).sum() == DRAWS);
    }
}
