package io.maas.inference.engine;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.maas.inference.InferenceException;
import io.maas.inference.MissingChatTemplateException;
import io.maas.inference.model.ModelGenerator;
import io.maas.inference.model.ModelShape;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import static io.maas.inference.engine.LlamaEngineTest.withoutTiming;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Sampling, stop strings, streaming, cancellation, logprobs and chat prompts through the engine on a tiny model. */
class LlamaEngineStreamingTest {

    private static final String PROMPT = "The weather today will be";

    @TempDir
    static Path root;
    static LlamaEngine engine;

    @BeforeAll
    static void load() throws Exception {
        ModelGenerator.write(root.resolve("tiny-llama"), ModelShape.TINY, 42);
        engine = LlamaEngine.load(root.resolve("tiny-llama"));
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    private static GenerationRequest.Builder request(String prompt, int maxTokens) {
        return GenerationRequest.builder().setPrompt(prompt).setMaxTokens(maxTokens);
    }

    /** Collects deltas and their logprobs; cancels once isCancelled() has been asked {@code cancelOnCall} times. */
    private static final class Recorder implements GenerationListener {

        final List<String> deltas = new ArrayList<>();
        final List<TokenLogprob> logprobs = new ArrayList<>();
        final int cancelOnCall;
        int calls;

        Recorder(int cancelOnCall) {
            this.cancelOnCall = cancelOnCall;
        }

        Recorder() {
            this(Integer.MAX_VALUE);
        }

        @Override
        public void onDelta(String text, List<TokenLogprob> tokens) {
            assertFalse(text.isEmpty() && tokens.isEmpty(), "a delta carries something");
            deltas.add(text);
            logprobs.addAll(tokens);
        }

        @Override
        public boolean isCancelled() {
            return ++calls >= cancelOnCall;
        }

        String joined() {
            return String.join("", deltas);
        }
    }

    /** The generated ids of a deterministic request, read from its logprobs (which leave a final EOS out). */
    private static int[] generatedIds(GenerationRequest.Builder deterministic) {
        GenerationResult r = engine.generate(deterministic.optLogprobs(true).build());
        return r.logprobs().stream().mapToInt(TokenLogprob::id).toArray();
    }

    @Test
    void sameSeedGivesTheSameTextAndOtherSeedsUsuallyDiffer() {
        GenerationRequest seeded = request(PROMPT, 24).optTemperature(1.0).optSeed(1234).build();
        GenerationResult first = engine.generate(seeded);
        assertEquals(withoutTiming(first), withoutTiming(engine.generate(seeded)));
        Set<String> texts = new HashSet<>();
        for (long seed = 0; seed < 6; seed++) {
            texts.add(engine.generate(request(PROMPT, 24).optTemperature(1.0).optSeed(seed).build()).text());
        }
        assertTrue(texts.size() >= 4, "six seeds gave only " + texts.size() + " different texts: " + texts);
        assertNotEquals(engine.generate(new GenerationRequest(PROMPT, 24)).text(), first.text(),
                "sampling at temperature 1 is not the greedy text");
    }

    @Test
    void temperatureZeroAndTopKOfOneEqualTheGreedyPath() {
        GenerationResult greedy = withoutTiming(engine.generate(new GenerationRequest(PROMPT, 30)));
        assertEquals(greedy, withoutTiming(engine.generate(request(PROMPT, 30).optTemperature(0).build())));
        assertEquals(greedy, withoutTiming(engine.generate(request(PROMPT, 30).optTemperature(0).optSeed(9)
                .optTopP(0.5).build())), "seed and top_p play no part at temperature 0");
        for (long seed = 0; seed < 3; seed++) {
            assertEquals(greedy, withoutTiming(engine.generate(request(PROMPT, 30).optTemperature(2).optTopK(1)
                    .optSeed(seed).build())), "top_k = 1 at temperature 2, seed " + seed);
        }
    }

    @Test
    void stopSequenceSplitAcrossTwoTokensEndsTheTextBeforeIt() {
        // Greedy with a frequency penalty: deterministic, and the random model does not repeat one token.
        int[] ids = generatedIds(request(PROMPT, 30).optTemperature(0).optFrequencyPenalty(1));
        assertEquals(30, ids.length, "this prompt runs to the length limit");
        String text = engine.tokenizer().decode(ids);
        // Pick a boundary between two whole-character tokens; the stop string straddles it.
        int offset = 0;
        for (int i = 0; i + 1 < ids.length; i++) {
            String left = engine.tokenizer().decode(new int[] {ids[i]});
            String right = engine.tokenizer().decode(new int[] {ids[i + 1]});
            offset += left.length();
            if (i < 2 || left.isEmpty() || right.isEmpty() || (left + right).contains("\uFFFD")
                    || !text.startsWith(engine.tokenizer().decode(Arrays.copyOf(ids, i + 2)))) {
                continue;
            }
            int fromLeft = Math.min(2, left.length());
            String stop = left.substring(left.length() - fromLeft) + right.substring(0, Math.min(2, right.length()));
            if (stop.length() < 3 || text.indexOf(stop) != offset - fromLeft) {
                continue; // too short to be telling, or occurs earlier in the text
            }
            Recorder recorder = new Recorder();
            GenerationResult r = engine.generate(request(PROMPT, 30).optTemperature(0).optFrequencyPenalty(1)
                    .optStop(List.of("never appears", stop)).build(), recorder);
            assertEquals(FinishReason.STOP, r.finishReason());
            assertEquals(text.substring(0, offset - fromLeft), r.text(),
                    "stop '" + stop + "' and what follows are cut");
            assertEquals(i + 2, r.completionTokens(), "the tokens up to the one completing the stop are counted");
            assertEquals(r.text(), recorder.joined(), "no part of the stop string was streamed");
            return;
        }
        throw new AssertionError("no usable token boundary in " + Arrays.toString(ids));
    }

    @Test
    void streamedDeltasConcatenateToTheFinalTextEvenWhenTokensSplitCharacters() {
        int splitCharacters = 0;
        for (long seed = 0; seed < 8; seed++) {
            Recorder recorder = new Recorder();
            GenerationResult r = engine.generate(request("héllo ✓ 日本 🎉", 40).optTemperature(2).optSeed(seed)
                    .optLogprobs(true).build(), recorder);
            assertEquals(r.text(), recorder.joined(), "seed " + seed);
            int[] ids = r.logprobs().stream().mapToInt(TokenLogprob::id).toArray();
            assertEquals(engine.tokenizer().decode(ids), r.text(), "the whole-sequence decode, seed " + seed);
            assertEquals(r.logprobs(), recorder.logprobs, "every token's logprobs streamed once, in order");
            for (int id : ids) {
                splitCharacters += engine.tokenizer().tokenText(id).contains("\uFFFD") ? 1 : 0;
            }
            for (String delta : recorder.deltas) {
                assertFalse(!delta.isEmpty() && Character.isHighSurrogate(delta.charAt(delta.length() - 1)),
                        "a delta ends inside a surrogate pair: " + recorder.deltas);
            }
        }
        assertTrue(splitCharacters > 0, "temperature 2 produced byte tokens that split characters");
    }

    @Test
    void cancellationAfterKTokensReturnsThemAndFreesNativeMemory() {
        engine.generate(new GenerationRequest("warm up", 2));
        int before = engine.model().managedArrayCount();
        int[] ids = generatedIds(request(PROMPT, 20).optTemperature(0));
        int k = 7;
        // isCancelled() is asked once before the prompt and once before each further token.
        Recorder recorder = new Recorder(k + 1);
        GenerationResult r = engine.generate(request(PROMPT, 20).optTemperature(0).build(), recorder);
        assertEquals(FinishReason.CANCELLED, r.finishReason());
        assertEquals("cancelled", r.finishReason().wireName());
        assertEquals(k, r.completionTokens());
        assertEquals(engine.countTokens(PROMPT), r.promptTokens());
        assertEquals(engine.tokenizer().decode(Arrays.copyOf(ids, k)), r.text());
        assertEquals(r.text(), recorder.joined(), "held-back text is flushed on cancel");
        assertTrue(r.timeToFirstTokenMs() >= 0);
        assertEquals(before, engine.model().managedArrayCount(), "the request's arrays and KV cache are freed");

        GenerationResult never = engine.generate(request(PROMPT, 20).build(), new Recorder(1));
        assertEquals(FinishReason.CANCELLED, never.finishReason());
        assertEquals(0, never.completionTokens());
        assertEquals("", never.text());
        assertEquals(-1, never.timeToFirstTokenMs(), "no token, no time to first token");
        assertEquals(before, engine.model().managedArrayCount());
    }

    @Test
    void listenerFailureEndsTheRequestAndFreesNativeMemory() {
        engine.generate(new GenerationRequest("warm up", 2));
        int before = engine.model().managedArrayCount();
        GenerationListener failing = (text, logprobs) -> {
            throw new IllegalStateException("client went away");
        };
        assertThrows(IllegalStateException.class, () -> engine.generate(request(PROMPT, 20).build(), failing));
        assertEquals(before, engine.model().managedArrayCount());
    }

    @Test
    void logprobsAreTheModelsLogSoftmaxWithAlternativesSortedDescending() {
        for (GenerationRequest req : List.of(
                request(PROMPT, 12).optTemperature(0).optTopLogprobs(5).build(),
                // Penalties, temperature and top-k shape the choice, not the reported distribution.
                request(PROMPT, 12).optTemperature(1.3).optTopK(50).optPresencePenalty(1.5).optSeed(3)
                        .optTopLogprobs(3).build())) {
            GenerationResult r = engine.generate(req);
            assertEquals(r.completionTokens(), r.logprobs().size() + (r.finishReason() == FinishReason.STOP ? 1 : 0));
            double[][] expected = replayLogSoftmax(engine.tokenizer().encode(PROMPT), r.logprobs());
            for (int i = 0; i < r.logprobs().size(); i++) {
                TokenLogprob t = r.logprobs().get(i);
                assertEquals(expected[i][t.id()], t.logprob(), 1e-4, "token " + i);
                assertEquals(engine.tokenizer().tokenText(t.id()), t.token());
                assertEquals(req.topLogprobs(), t.topLogprobs().size());
                double previous = Double.POSITIVE_INFINITY;
                for (TokenLogprob.TopLogprob alt : t.topLogprobs()) {
                    assertEquals(expected[i][alt.id()], alt.logprob(), 1e-4);
                    assertTrue(alt.logprob() <= previous, "sorted descending");
                    previous = alt.logprob();
                }
                int[] best = TopTokens.top(toFloats(expected[i]), expected[i].length, req.topLogprobs());
                assertEquals(Arrays.toString(best),
                        Arrays.toString(t.topLogprobs().stream().mapToInt(TokenLogprob.TopLogprob::id).toArray()));
                if (req.greedy()) {
                    assertEquals(best[0], t.id(), "greedy picks the most likely token");
                }
            }
        }
        assertTrue(engine.generate(new GenerationRequest(PROMPT, 3)).logprobs().isEmpty(), "off unless requested");
    }

    @Test
    void timeToFirstTokenIsMeasuredFromTheCall() {
        long start = System.nanoTime();
        GenerationResult r = engine.generate(new GenerationRequest(PROMPT, 10));
        long elapsedMs = (System.nanoTime() - start) / 1_000_000;
        assertTrue(r.timeToFirstTokenMs() >= 0 && r.timeToFirstTokenMs() <= elapsedMs,
                r.timeToFirstTokenMs() + " of " + elapsedMs + " ms");
    }

    @Test
    void chatPromptSpecialTokensEncodeAsSingleIdsAndAreCountedAsThePromptTokens() {
        assertTrue(engine.hasChatTemplate());
        String prompt = engine.renderChat(List.of(new ChatMessage("system", "Be brief."),
                new ChatMessage("user", "What is the weather like?")));
        assertEquals("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nWhat is the weather like?"
                + "<|im_end|>\n<|im_start|>assistant\n", prompt);
        int[] ids = engine.tokenizer().encode(prompt);
        assertEquals(3, Arrays.stream(ids).filter(id -> id == 1).count(), "<|im_start|> is one special id");
        assertEquals(2, Arrays.stream(ids).filter(id -> id == 2).count(), "<|im_end|> is one special id");
        for (int id : ids) {
            assertFalse(id > 2 && engine.tokenizer().tokenText(id).contains("<|"), "no special text in pieces");
        }
        assertEquals(1, ids[0]);
        GenerationResult r = engine.generate(new GenerationRequest(prompt, 3));
        assertEquals(engine.countTokens(prompt), r.promptTokens());
        assertEquals(ids.length, r.promptTokens());
    }

    @Test
    void modelWithoutChatTemplateRefusesChatClearly() throws Exception {
        Path dir = root.resolve("no-template");
        ModelGenerator.write(dir, ModelShape.TINY, 42);
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = (ObjectNode) json.readTree(dir.resolve("tokenizer_config.json").toFile());
        config.remove("chat_template");
        json.writeValue(dir.resolve("tokenizer_config.json").toFile(), config);
        try (LlamaEngine plain = LlamaEngine.load(dir)) {
            assertFalse(plain.hasChatTemplate());
            InferenceException e = assertThrows(MissingChatTemplateException.class,
                    () -> plain.renderChat(List.of(new ChatMessage("user", "hi"))));
            assertTrue(e.getMessage().contains("no-template") && e.getMessage().contains("chat template"),
                    e.getMessage());
        }
    }

    /** log-softmax over the decodable ids of the logits the model gives at each generated position, in double. */
    private static double[][] replayLogSoftmax(int[] prompt, List<TokenLogprob> generated) {
        int vocab = engine.tokenizer().vocabSize();
        double[][] out = new double[generated.size()][];
        try (var request = engine.model().newRequestManager();
             KvCache cache = engine.model().newCache(request, prompt.length + generated.size())) {
            int[] input = prompt;
            for (int i = 0; i < generated.size(); i++) {
                try (var step = request.newSubManager()) {
                    float[] logits = engine.model().forward(step, cache, input, false).toFloatArray();
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < vocab; j++) {
                        max = Math.max(max, logits[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j < vocab; j++) {
                        sum += Math.exp(logits[j] - max);
                    }
                    out[i] = new double[vocab];
                    for (int j = 0; j < vocab; j++) {
                        out[i][j] = logits[j] - max - Math.log(sum);
                    }
                    input = new int[] {generated.get(i).id()};
                }
            }
        }
        return out;
    }

    private static float[] toFloats(double[] values) {
        float[] out = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (float) values[i];
        }
        return out;
    }
}
