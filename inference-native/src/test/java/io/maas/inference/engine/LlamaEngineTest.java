package io.maas.inference.engine;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.maas.inference.ContextLengthExceededException;
import io.maas.inference.InferenceException;
import io.maas.inference.InvalidGenerationParameterException;
import io.maas.inference.model.ModelGenerator;
import io.maas.inference.model.ModelShape;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The engine's public behaviour on a generated tiny model: generation, limits, concurrency, tokenizer, files. */
class LlamaEngineTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path root;
    static Path modelDir;
    static Map<String, String> hashesBeforeLoad;
    static LlamaEngine engine;

    @BeforeAll
    static void load() throws Exception {
        modelDir = root.resolve("tiny-llama");
        ModelGenerator.write(modelDir, ModelShape.TINY, 42);
        hashesBeforeLoad = hashes(modelDir);
        engine = LlamaEngine.load(modelDir);
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    @Test
    void describesTheModel() {
        assertEquals("tiny-llama", engine.modelId());
        assertEquals(2048, engine.maxContextTokens());
        assertEquals(0, engine.countTokens(""));
    }

    @Test
    void generatesUpToMaxTokens() {
        GenerationResult r = engine.generate(new GenerationRequest("Hello, how are you today?", 12));
        assertEquals(engine.countTokens("Hello, how are you today?"), r.promptTokens());
        assertEquals(12, r.completionTokens());
        assertEquals(FinishReason.LENGTH, r.finishReason());
        assertEquals("length", r.finishReason().wireName());
        assertEquals("stop", FinishReason.STOP.wireName());
    }

    @Test
    void greedyDecodingIsDeterministic() {
        GenerationRequest request = new GenerationRequest("The weather today will be", 30);
        assertEquals(withoutTiming(engine.generate(request)), withoutTiming(engine.generate(request)));
    }

    @Test
    void concurrentRequestsGiveTheSequentialResults() throws Exception {
        List<GenerationRequest> requests = List.of(
                new GenerationRequest("Once upon a time", 24),
                new GenerationRequest("The answer is 42.", 17),
                new GenerationRequest("Learning a new language takes time.", 31),
                new GenerationRequest("héllo wörld ✓ 日本", 9));
        List<GenerationResult> sequential = new ArrayList<>();
        requests.forEach(r -> sequential.add(withoutTiming(engine.generate(r))));
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            for (int round = 0; round < 3; round++) {
                List<Future<GenerationResult>> futures = new ArrayList<>();
                requests.forEach(r -> futures.add(pool.submit(() -> engine.generate(r))));
                for (int i = 0; i < requests.size(); i++) {
                    assertEquals(sequential.get(i), withoutTiming(futures.get(i).get()),
                            "request " + i + " round " + round);
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void longPromptIsPrefilledInChunksLikeOneForward() {
        String sentence = "Every computer program is a set of instructions that tells the machine what to do. ";
        String prompt = sentence.repeat(60);
        int promptTokens = engine.countTokens(prompt);
        assertTrue(promptTokens > LlamaEngine.PREFILL_CHUNK_TOKENS, "prompt spans several chunks");
        GenerationResult r = engine.generate(new GenerationRequest(prompt, 5));
        assertEquals(promptTokens, r.promptTokens());
        assertEquals(5, r.completionTokens());
    }

    @Test
    void promptOverTheContextIsRefusedWithTheNumbers() {
        String prompt = "The answer is 42, and the price is $3.50 per unit! ".repeat(300);
        int promptTokens = engine.countTokens(prompt);
        assertTrue(promptTokens > 2048, "prompt alone exceeds the context: " + promptTokens);
        ContextLengthExceededException e = assertThrows(ContextLengthExceededException.class,
                () -> engine.generate(new GenerationRequest(prompt, 1)));
        assertEquals(promptTokens, e.promptTokens());
        assertEquals(1, e.maxTokens());
        assertEquals(2048, e.maxContextTokens());
        assertTrue(e.getMessage().contains("2048"), e.getMessage());
    }

    @Test
    void promptPlusMaxTokensOverTheContextIsRefusedButExactlyFullContextRuns() {
        int promptTokens = engine.countTokens("Hello there");
        ContextLengthExceededException e = assertThrows(ContextLengthExceededException.class,
                () -> engine.generate(new GenerationRequest("Hello there", 2049 - promptTokens)));
        assertEquals(2049 - promptTokens, e.maxTokens());
        // The last position of the context (2047) is reachable: KV cache full, last rotary row used.
        GenerationResult full = engine.generate(new GenerationRequest("Hello there", 2048 - promptTokens));
        assertTrue(full.completionTokens() <= 2048 - promptTokens);
        assertTrue(full.finishReason() == FinishReason.STOP || full.completionTokens() == 2048 - promptTokens);
    }

    @Test
    void maxTokensMustBePositive() {
        assertEquals("max_tokens", assertThrows(InvalidGenerationParameterException.class,
                () -> new GenerationRequest("x", 0)).param());
        assertEquals("prompt", assertThrows(InvalidGenerationParameterException.class,
                () -> new GenerationRequest(null, 3)).param());
    }

    @Test
    void emptyPromptStartsFromBos() {
        GenerationResult r = engine.generate(new GenerationRequest("", 4));
        assertEquals(1, r.promptTokens());
        assertEquals(4, r.completionTokens());
    }

    @Test
    void emptyPromptWithoutBosIsRefused() throws Exception {
        Path dir = root.resolve("no-bos");
        ModelGenerator.write(dir, ModelShape.TINY, 42);
        for (String file : List.of("config.json", "generation_config.json")) {
            ObjectNode node = (ObjectNode) JSON.readTree(dir.resolve(file).toFile());
            node.remove("bos_token_id");
            JSON.writeValue(dir.resolve(file).toFile(), node);
        }
        try (LlamaEngine noBos = LlamaEngine.load(dir)) {
            InferenceException e = assertThrows(InferenceException.class,
                    () -> noBos.generate(new GenerationRequest("", 3)));
            assertTrue(e.getMessage().contains("bos_token_id"), e.getMessage());
            assertEquals(3, noBos.generate(new GenerationRequest("hi", 3)).completionTokens());
        }
    }

    @Test
    void endOfSequenceStopsAndCountsButIsNotInTheText() throws Exception {
        String prompt = "She opened the letter and read it twice.";
        int[] greedy = greedyTokens(engine.tokenizer().encode(prompt), 6);
        // Declare the first greedy token not seen before it (after the first) an end-of-sequence token.
        int stopAt = 1;
        while (contains(greedy, stopAt, greedy[stopAt])) {
            stopAt++;
        }
        Path dir = root.resolve("eos");
        ModelGenerator.write(dir, ModelShape.TINY, 42);
        ObjectNode generation = (ObjectNode) JSON.readTree(dir.resolve("generation_config.json").toFile());
        generation.putArray("eos_token_id").add(ModelGenerator.EOS_TOKEN_ID).add(greedy[stopAt]);
        JSON.writeValue(dir.resolve("generation_config.json").toFile(), generation);
        try (LlamaEngine stopping = LlamaEngine.load(dir)) {
            GenerationResult r = stopping.generate(new GenerationRequest(prompt, 6));
            assertEquals(FinishReason.STOP, r.finishReason());
            assertEquals(stopAt + 1, r.completionTokens(), "the stop token counts as a completion token");
            assertEquals(engine.tokenizer().decode(Arrays.copyOf(greedy, stopAt)), r.text(),
                    "the stop token is not in the text");
        }
    }

    private static boolean contains(int[] ids, int before, int id) {
        for (int i = 0; i < before; i++) {
            if (ids[i] == id) {
                return true;
            }
        }
        return false;
    }

    @Test
    void onlyIdsTheTokenizerCanDecodeAreGenerated() throws Exception {
        // Embedding rows beyond the tokenizer's vocabulary (allowed by HF) have no text: never pick them.
        ModelShape padded = new ModelShape("padded", 64, 2, 4, 2, 128, 1024, true, 256, 10000.0, 1e-5);
        Path dir = root.resolve("padded");
        ModelGenerator.write(dir, padded, 5);
        try (LlamaEngine e = LlamaEngine.load(dir)) {
            assertEquals(512, e.tokenizer().vocabSize());
            String prompt = "The library opened at nine o'clock.";
            int[] ids = e.tokenizer().encode(prompt);
            int[] unrestricted = greedyTokens(e, ids, 20, Integer.MAX_VALUE);
            assertTrue(Arrays.stream(unrestricted).anyMatch(id -> id >= 512),
                    "with this seed an unrestricted argmax picks padded rows: " + Arrays.toString(unrestricted));
            int[] expected = greedyTokens(e, ids, 20, 512);
            int stop = 0;
            while (stop < expected.length && expected[stop] != ModelGenerator.EOS_TOKEN_ID) {
                stop++;
            }
            GenerationResult r = e.generate(new GenerationRequest(prompt, 20));
            assertEquals(e.tokenizer().decode(Arrays.copyOf(expected, stop)), r.text());
        }
    }

    @Test
    void tokenizerRoundTripsAsciiAndMultiByteText() {
        ModelTokenizer tokenizer = engine.tokenizer();
        for (String text : List.of("Hello, world!", "The quick brown fox jumps over the lazy dog.",
                "héllo wörld ✓ 日本", "emoji 🙂 and tabs\tand\nnewlines", "  leading and trailing  ", "")) {
            assertEquals(text, tokenizer.decode(tokenizer.encode(text)), "round trip of '" + text + "'");
        }
    }

    @Test
    void tokenizerMergesCommonWordsAndKeepsSpecialTokens() {
        ModelTokenizer tokenizer = engine.tokenizer();
        assertEquals(1, tokenizer.encode(" the").length);
        assertEquals(1, tokenizer.encode(" and").length);
        String sentence = "The morning was quiet when the first train left the station.";
        int tokens = tokenizer.encode(sentence).length;
        assertTrue(tokens <= sentence.length() / 2, "merges should make common words short: " + tokens);
        assertEquals(ModelShape.TINY.vocabSize(), tokenizer.vocabSize());
        int[] chat = tokenizer.encode("<|im_start|>user\nhi<|im_end|>");
        assertEquals(1, chat[0]);
        assertEquals(2, chat[chat.length - 1]);
        assertEquals("user\nhi", tokenizer.decode(chat), "special tokens are skipped when decoding");
    }

    @Test
    void weightFilesAreUnchangedByInference() throws Exception {
        engine.generate(new GenerationRequest("The garden behind the house", 20));
        assertEquals(hashesBeforeLoad, hashes(modelDir));
    }

    @Test
    void requestsLeaveNoArraysBehind() {
        engine.generate(new GenerationRequest("warm up", 2));
        int before = engine.model().managedArrayCount();
        engine.generate(new GenerationRequest("Water covers most of the surface of the earth", 25));
        engine.generate(new GenerationRequest("", 3));
        assertEquals(before, engine.model().managedArrayCount());
    }

    @Test
    void closedEngineRefusesWork() throws Exception {
        LlamaEngine other = LlamaEngine.load(modelDir);
        other.close();
        other.close();
        assertThrows(InferenceException.class, () -> other.generate(new GenerationRequest("hi", 2)));
        assertThrows(InferenceException.class, () -> other.countTokens("hi"));
    }

    /** The result with its wall-clock measurement cleared, for comparing runs. */
    static GenerationResult withoutTiming(GenerationResult r) {
        return new GenerationResult(r.text(), r.promptTokens(), r.completionTokens(), r.finishReason(),
                r.logprobs(), -1);
    }

    private static int[] greedyTokens(int[] prompt, int count) {
        return greedyTokens(engine, prompt, count, Integer.MAX_VALUE);
    }

    /** Greedy ids straight from the logits, the argmax limited to ids below {@code limit}. */
    private static int[] greedyTokens(LlamaEngine e, int[] prompt, int count, int limit) {
        try (var request = e.model().newRequestManager();
             KvCache cache = e.model().newCache(request, prompt.length + count)) {
            int[] out = new int[count];
            int[] input = prompt;
            for (int i = 0; i < count; i++) {
                try (var step = request.newSubManager()) {
                    float[] logits = e.model().forward(step, cache, input, false).toFloatArray();
                    int best = 0;
                    for (int j = 1; j < Math.min(limit, logits.length); j++) {
                        best = logits[j] > logits[best] ? j : best;
                    }
                    out[i] = best;
                    input = new int[] {best};
                }
            }
            return out;
        }
    }

    static Map<String, String> hashes(Path dir) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.toList()) {
                MessageDigest sha256 = sha256();
                try (InputStream in = new DigestInputStream(Files.newInputStream(f), sha256)) {
                    in.transferTo(OutputStream.nullOutputStream());
                }
                out.put(f.getFileName().toString(), HexFormat.of().formatHex(sha256.digest()));
            }
        }
        assertFalse(out.isEmpty());
        return out;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
