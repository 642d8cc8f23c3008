package io.maas.inference.engine;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.maas.inference.ModelFormatException;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReferenceArray;

/** A model directory's Hugging Face tokenizer: prompts encode as written (no added specials), decoding skips specials. */
public final class ModelTokenizer implements AutoCloseable {

    public static final String FILE = "tokenizer.json";
    /** Real tokenizer.json files are a few MB (Llama 3: ~9 MB); this only stops absurd reads. */
    static final long MAX_FILE_BYTES = 64L * 1024 * 1024;
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final HuggingFaceTokenizer tokenizer;
    private final int vocabSize;
    /** Single-token texts for logprobs, filled on first use: bounded by the vocabulary. */
    private final AtomicReferenceArray<String> tokenTexts;

    private ModelTokenizer(HuggingFaceTokenizer tokenizer, int vocabSize) {
        this.tokenizer = tokenizer;
        this.vocabSize = vocabSize;
        this.tokenTexts = new AtomicReferenceArray<>(vocabSize);
    }

    /** Loads {@code tokenizer.json}; tokenizer_config.json is not applied (its clean-up option would alter text). */
    public static ModelTokenizer load(Path modelDir) {
        Path file = modelDir.resolve(FILE);
        byte[] bytes;
        int vocabSize;
        try {
            if (Files.size(file) > MAX_FILE_BYTES) {
                throw new ModelFormatException(file + ": larger than " + MAX_FILE_BYTES + " bytes");
            }
            bytes = Files.readAllBytes(file);
            vocabSize = vocabSize(JSON.readTree(bytes), file);
        } catch (NoSuchFileException e) {
            throw new ModelFormatException(file + ": file not found");
        } catch (JacksonException e) {
            throw new ModelFormatException(file + ": invalid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new ModelFormatException(file + ": cannot read: " + e.getMessage(), e);
        }
        // Explicit options: DJL would otherwise add special tokens and may truncate at 512 tokens.
        Map<String, String> options = Map.of("addSpecialTokens", "false", "truncation", "false",
                "padding", "false");
        try {
            return new ModelTokenizer(HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(bytes), options),
                    vocabSize);
        } catch (IOException | RuntimeException e) {
            throw new ModelFormatException(file + ": the tokenizer library rejects it: " + e.getMessage(), e);
        }
    }

    /** Token ids of {@code text} exactly as written; special-token strings in the text become their ids. */
    public int[] encode(String text) {
        long[] ids = tokenizer.encode(text, false, false).getIds();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = Math.toIntExact(ids[i]);
        }
        return out;
    }

    /** Text of {@code ids}, special tokens left out; decode whole sequences so no UTF-8 character is split. */
    public String decode(int[] ids) {
        long[] longs = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            longs[i] = ids[i];
        }
        return tokenizer.decode(longs, true);
    }

    /**
     * The text of one token decoded alone, special tokens included (for logprobs): a byte-level token holding only
     * part of a UTF-8 character shows as U+FFFD.
     */
    public String tokenText(int id) {
        if (id < 0 || id >= vocabSize) {
            throw new IllegalArgumentException("token id " + id + " outside the vocabulary of " + vocabSize);
        }
        String text = tokenTexts.get(id);
        if (text == null) {
            text = tokenizer.decode(new long[] {id}, false);
            tokenTexts.set(id, text); // racing threads store equal strings
        }
        return text;
    }

    /** One more than the highest id the tokenizer can decode (model vocabulary or added token). */
    public int vocabSize() {
        return vocabSize;
    }

    @Override
    public void close() {
        tokenizer.close();
    }

    private static int vocabSize(JsonNode root, Path file) {
        int max = -1;
        JsonNode vocab = root.path("model").path("vocab");
        if (vocab.isObject()) {
            for (Map.Entry<String, JsonNode> e : vocab.properties()) {
                max = Math.max(max, e.getValue().asInt(-1));
            }
        } else if (vocab.isArray()) {
            max = vocab.size() - 1; // Unigram models list [piece, score] pairs by id
        }
        for (JsonNode added : root.path("added_tokens")) {
            max = Math.max(max, added.path("id").asInt(-1));
        }
        if (max < 0) {
            throw new ModelFormatException(file + ": no vocabulary (model.vocab and added_tokens are empty)");
        }
        return max + 1;
    }
}
