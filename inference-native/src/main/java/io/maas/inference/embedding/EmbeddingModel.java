package io.maas.inference.embedding;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.translate.NoopTranslator;
import ai.djl.translate.TranslateException;
import io.maas.inference.ContextLengthExceededException;
import io.maas.inference.InferenceException;
import io.maas.inference.ModelFormatException;
import io.maas.inference.engine.LlamaEngine;

/**
 * A sentence-embedding model (BERT family, e.g. all-MiniLM-L6-v2) in ONNX, run on DJL's OnnxRuntime engine:
 * token embeddings mean-pooled over the attention mask, then L2-normalised, as sentence-transformers does.
 * A model directory holds {@code model.onnx} and {@code tokenizer.json}. Thread-safe: each call uses its own
 * predictor and arrays.
 */
public final class EmbeddingModel implements AutoCloseable {
    public static final String MODEL_FILE = "model.onnx";
    public static final String TOKENIZER_FILE = "tokenizer.json";
    /** BERT position embeddings end here. */
    public static final int MAX_INPUT_TOKENS = 512;

    private final String id;
    private final Model model;
    private final HuggingFaceTokenizer tokenizer;

    private EmbeddingModel(String id, Model model, HuggingFaceTokenizer tokenizer) {
        this.id = id;
        this.model = model;
        this.tokenizer = tokenizer;
    }

    /** One input's vector and how many tokens it counted (special tokens included). */
    public record Embedding(float[] vector, int tokens) {
    }

    public static boolean isModelDirectory(Path dir) {
        return Files.isRegularFile(dir.resolve(MODEL_FILE)) && Files.isRegularFile(dir.resolve(TOKENIZER_FILE));
    }

    public static EmbeddingModel load(Path dir) {
        // DJL's OnnxRuntime engine loads PyTorch as its companion engine: PyTorch's defaults must be set first.
        LlamaEngine.applyNativeDefaults();
        Path abs = dir.toAbsolutePath().normalize();
        if (!isModelDirectory(abs)) {
            throw new ModelFormatException(abs + ": an embedding model needs " + MODEL_FILE + " and " + TOKENIZER_FILE);
        }
        HuggingFaceTokenizer tokenizer;
        try {
            tokenizer = HuggingFaceTokenizer.newInstance(abs.resolve(TOKENIZER_FILE),
                    Map.of("addSpecialTokens", "true", "truncation", "false", "padding", "false"));
        } catch (IOException | RuntimeException e) {
            throw new ModelFormatException(abs.resolve(TOKENIZER_FILE) + ": the tokenizer library rejects it: "
                    + e.getMessage(), e);
        }
        Model model = Model.newInstance(abs.getFileName().toString(), Device.cpu(), "OnnxRuntime");
        try {
            model.load(abs, "model");
        } catch (IOException | MalformedModelException | RuntimeException e) {
            model.close();
            tokenizer.close();
            throw new ModelFormatException(abs.resolve(MODEL_FILE) + ": OnnxRuntime cannot load it: " + e.getMessage(), e);
        }
        return new EmbeddingModel(abs.getFileName().toString(), model, tokenizer);
    }

    public String id() {
        return id;
    }

    /** Embeds each input; an input over {@link #MAX_INPUT_TOKENS} tokens is refused, never silently cut. */
    public List<Embedding> embed(List<String> inputs) {
        List<Encoding> encodings = new ArrayList<>(inputs.size());
        for (String input : inputs) {
            Encoding e = tokenizer.encode(input);
            if (e.getIds().length > MAX_INPUT_TOKENS) {
                throw new ContextLengthExceededException(e.getIds().length, 0, MAX_INPUT_TOKENS);
            }
            encodings.add(e);
        }
        List<Embedding> out = new ArrayList<>(inputs.size());
        try (Predictor<NDList, NDList> predictor = model.newPredictor(new NoopTranslator());
                NDManager manager = model.getNDManager().newSubManager()) {
            for (Encoding e : encodings) {
                out.add(new Embedding(vector(predictor, manager, e), e.getIds().length));
            }
        } catch (TranslateException e) {
            throw new InferenceException("embedding model " + id + " failed: " + e.getMessage(), e);
        }
        return out;
    }

    private static float[] vector(Predictor<NDList, NDList> predictor, NDManager parent, Encoding e)
            throws TranslateException {
        try (NDManager manager = parent.newSubManager()) {
            long[] mask = e.getAttentionMask();
            NDArray ids = manager.create(new long[][] {e.getIds()});
            ids.setName("input_ids");
            NDArray attention = manager.create(new long[][] {mask});
            attention.setName("attention_mask");
            NDArray types = manager.create(new long[][] {e.getTypeIds()});
            types.setName("token_type_ids");
            NDList output = predictor.predict(new NDList(ids, attention, types));
            NDArray hidden = output.get(0); // [1, tokens, dim]
            long[] shape = hidden.getShape().getShape();
            int tokens = (int) shape[1];
            int dim = (int) shape[2];
            float[] values = hidden.toFloatArray();
            output.close();
            // Mean over the tokens the mask keeps, then unit length: cosine similarity becomes a dot product.
            double[] sum = new double[dim];
            int kept = 0;
            for (int t = 0; t < tokens; t++) {
                if (mask[t] == 0) {
                    continue;
                }
                kept++;
                for (int d = 0; d < dim; d++) {
                    sum[d] += values[t * dim + d];
                }
            }
            double norm = 0;
            for (int d = 0; d < dim; d++) {
                sum[d] /= Math.max(1, kept);
                norm += sum[d] * sum[d];
            }
            norm = Math.sqrt(norm);
            float[] vector = new float[dim];
            for (int d = 0; d < dim; d++) {
                vector[d] = (float) (norm == 0 ? 0 : sum[d] / norm);
            }
            return vector;
        }
    }

    @Override
    public void close() {
        model.close();
        tokenizer.close();
    }
}
