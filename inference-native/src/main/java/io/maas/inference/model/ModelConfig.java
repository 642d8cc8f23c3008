package io.maas.inference.model;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.maas.inference.ModelFormatException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/** Llama-family hyperparameters of a model directory, read and checked from config.json and generation_config.json. */
public record ModelConfig(int hiddenSize, int numLayers, int numHeads, int numKvHeads, int headDim,
                          int intermediateSize, int vocabSize, boolean tiedEmbeddings, int maxPositionEmbeddings,
                          double ropeTheta, double rmsNormEps, OptionalInt bosTokenId, List<Integer> eosTokenIds) {

    public static final String CONFIG_FILE = "config.json";
    public static final String GENERATION_CONFIG_FILE = "generation_config.json";
    /** Config and tokenizer files are small; anything larger than this is not one of them. */
    static final long MAX_JSON_FILE_BYTES = 64L * 1024 * 1024;

    static final JsonMapper STRICT_JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    public ModelConfig {
        eosTokenIds = List.copyOf(eosTokenIds);
    }

    /** Reads {@code config.json} (required) and {@code generation_config.json} (optional, its token ids win). */
    public static ModelConfig read(Path modelDir) {
        Path configPath = modelDir.resolve(CONFIG_FILE);
        JsonNode c = readJsonObject(configPath);
        String where = configPath.toString();
        checkArchitecture(c, where);
        int hidden = intField(c, "hidden_size", where, 1, 1 << 16, null);
        int layers = intField(c, "num_hidden_layers", where, 1, 1024, null);
        int heads = intField(c, "num_attention_heads", where, 1, 1024, null);
        int kvHeads = intField(c, "num_key_value_heads", where, 1, heads, heads);
        if (heads % kvHeads != 0) {
            throw new ModelFormatException(where + ": num_attention_heads " + heads
                    + " is not a multiple of num_key_value_heads " + kvHeads);
        }
        if (hidden % heads != 0 && !c.hasNonNull("head_dim")) {
            throw new ModelFormatException(where + ": hidden_size " + hidden + " is not a multiple of num_attention_heads "
                    + heads + " and no head_dim is given");
        }
        int headDim = intField(c, "head_dim", where, 2, 1024, hidden / heads);
        if (headDim % 2 != 0) {
            throw new ModelFormatException(where + ": head_dim " + headDim + " must be even for rotary embeddings");
        }
        int intermediate = intField(c, "intermediate_size", where, 1, 1 << 20, null);
        int vocab = intField(c, "vocab_size", where, 1, 1 << 22, null);
        int maxPositions = intField(c, "max_position_embeddings", where, 1, 1 << 20, null);
        double theta = doubleField(c, "rope_theta", where, 10000.0);
        double eps = doubleField(c, "rms_norm_eps", where, 1e-6);
        boolean tied = booleanField(c, "tie_word_embeddings", where, false);

        OptionalInt bos = optionalTokenId(c, "bos_token_id", where, vocab);
        List<Integer> eos = tokenIds(c, "eos_token_id", where, vocab);
        Path generationPath = modelDir.resolve(GENERATION_CONFIG_FILE);
        if (Files.exists(generationPath)) {
            JsonNode g = readJsonObject(generationPath);
            String gWhere = generationPath.toString();
            if (g.has("bos_token_id")) {
                bos = optionalTokenId(g, "bos_token_id", gWhere, vocab);
            }
            if (g.has("eos_token_id")) {
                eos = tokenIds(g, "eos_token_id", gWhere, vocab);
            }
        }
        return new ModelConfig(hidden, layers, heads, kvHeads, headDim, intermediate, vocab, tied, maxPositions,
                theta, eps, bos, eos);
    }

    /** The Hugging Face tensor names and shapes this config implies, in file-writing order. */
    public Map<String, long[]> expectedTensors() {
        Map<String, long[]> m = new LinkedHashMap<>();
        long h = hiddenSize;
        long qRows = (long) numHeads * headDim;
        long kvRows = (long) numKvHeads * headDim;
        m.put("model.embed_tokens.weight", new long[] {vocabSize, h});
        for (int i = 0; i < numLayers; i++) {
            String p = "model.layers." + i + ".";
            m.put(p + "input_layernorm.weight", new long[] {h});
            m.put(p + "self_attn.q_proj.weight", new long[] {qRows, h});
            m.put(p + "self_attn.k_proj.weight", new long[] {kvRows, h});
            m.put(p + "self_attn.v_proj.weight", new long[] {kvRows, h});
            m.put(p + "self_attn.o_proj.weight", new long[] {h, qRows});
            m.put(p + "post_attention_layernorm.weight", new long[] {h});
            m.put(p + "mlp.gate_proj.weight", new long[] {intermediateSize, h});
            m.put(p + "mlp.up_proj.weight", new long[] {intermediateSize, h});
            m.put(p + "mlp.down_proj.weight", new long[] {h, intermediateSize});
        }
        m.put("model.norm.weight", new long[] {h});
        if (!tiedEmbeddings) {
            m.put("lm_head.weight", new long[] {vocabSize, h});
        }
        return m;
    }

    static JsonNode readJsonObject(Path path) {
        return readJsonObject(path, MAX_JSON_FILE_BYTES);
    }

    /** A bounded, strictly parsed JSON object file of a model or adapter folder; any fault names the file. */
    public static JsonNode readJsonObject(Path path, long maxBytes) {
        try {
            if (Files.size(path) > maxBytes) {
                throw new ModelFormatException(path + ": larger than " + maxBytes + " bytes");
            }
            JsonNode node = STRICT_JSON.readTree(path.toFile());
            if (node == null || !node.isObject()) {
                throw new ModelFormatException(path + ": not a JSON object");
            }
            return node;
        } catch (NoSuchFileException e) {
            throw new ModelFormatException(path + ": file not found");
        } catch (JacksonException e) {
            throw new ModelFormatException(path + ": invalid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new ModelFormatException(path + ": cannot read: " + e.getMessage(), e);
        }
    }

    private static void checkArchitecture(JsonNode c, String where) {
        boolean llama = "llama".equals(c.path("model_type").asText(null));
        for (JsonNode a : c.path("architectures")) {
            llama |= "LlamaForCausalLM".equals(a.asText());
        }
        if (!llama) {
            throw new ModelFormatException(where + ": not a Llama model (model_type " + c.get("model_type")
                    + ", architectures " + c.get("architectures") + "); only LlamaForCausalLM is supported");
        }
        String act = c.path("hidden_act").asText("silu");
        if (!"silu".equals(act)) {
            throw new ModelFormatException(where + ": hidden_act '" + act + "' is not supported (only silu)");
        }
        JsonNode scaling = c.get("rope_scaling");
        if (scaling != null && !scaling.isNull()) {
            throw new ModelFormatException(where + ": rope_scaling " + scaling + " is not supported yet");
        }
        for (String bias : List.of("attention_bias", "mlp_bias")) {
            if (c.path(bias).asBoolean(false)) {
                throw new ModelFormatException(where + ": " + bias + "=true is not supported yet");
            }
        }
    }

    private static int intField(JsonNode c, String name, String where, int min, int max, Integer dflt) {
        JsonNode n = c.get(name);
        if (n == null || n.isNull()) {
            if (dflt == null) {
                throw new ModelFormatException(where + ": missing " + name);
            }
            return dflt;
        }
        if (!n.isIntegralNumber() || !n.canConvertToInt() || n.intValue() < min || n.intValue() > max) {
            throw new ModelFormatException(where + ": " + name + " = " + n + " is not an integer in ["
                    + min + ", " + max + "]");
        }
        return n.intValue();
    }

    private static double doubleField(JsonNode c, String name, String where, double dflt) {
        JsonNode n = c.get(name);
        if (n == null || n.isNull()) {
            return dflt;
        }
        if (!n.isNumber() || !(n.doubleValue() > 0) || Double.isInfinite(n.doubleValue())) {
            throw new ModelFormatException(where + ": " + name + " = " + n + " is not a positive number");
        }
        return n.doubleValue();
    }

    private static boolean booleanField(JsonNode c, String name, String where, boolean dflt) {
        JsonNode n = c.get(name);
        if (n == null || n.isNull()) {
            return dflt;
        }
        if (!n.isBoolean()) {
            throw new ModelFormatException(where + ": " + name + " = " + n + " is not a boolean");
        }
        return n.booleanValue();
    }

    private static OptionalInt optionalTokenId(JsonNode c, String name, String where, int vocab) {
        JsonNode n = c.get(name);
        if (n == null || n.isNull()) {
            return OptionalInt.empty();
        }
        return OptionalInt.of(tokenId(n, name, where, vocab));
    }

    private static List<Integer> tokenIds(JsonNode c, String name, String where, int vocab) {
        JsonNode n = c.get(name);
        List<Integer> ids = new ArrayList<>();
        if (n == null || n.isNull()) {
            return ids;
        }
        if (n.isArray()) {
            for (JsonNode e : n) {
                ids.add(tokenId(e, name, where, vocab));
            }
        } else {
            ids.add(tokenId(n, name, where, vocab));
        }
        return ids;
    }

    private static int tokenId(JsonNode n, String name, String where, int vocab) {
        if (!n.isIntegralNumber() || !n.canConvertToInt() || n.intValue() < 0 || n.intValue() >= vocab) {
            throw new ModelFormatException(where + ": " + name + " = " + n + " is not a token id below vocab_size "
                    + vocab);
        }
        return n.intValue();
    }
}
