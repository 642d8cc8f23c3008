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
import java.util.Optional;
import java.util.OptionalInt;

/** Llama-family hyperparameters of a model directory, read and checked from config.json and generation_config.json. */
public record ModelConfig(int hiddenSize, int numLayers, int numHeads, int numKvHeads, int headDim,
                          int intermediateSize, int vocabSize, boolean tiedEmbeddings, int maxPositionEmbeddings,
                          double ropeTheta, double rmsNormEps, OptionalInt bosTokenId, List<Integer> eosTokenIds,
                          boolean qkvBias, boolean oBias, RopeScaling ropeScaling) {

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

    /** A plain Llama config: no projection biases, no rope scaling. */
    public ModelConfig(int hiddenSize, int numLayers, int numHeads, int numKvHeads, int headDim,
                       int intermediateSize, int vocabSize, boolean tiedEmbeddings, int maxPositionEmbeddings,
                       double ropeTheta, double rmsNormEps, OptionalInt bosTokenId, List<Integer> eosTokenIds) {
        this(hiddenSize, numLayers, numHeads, numKvHeads, headDim, intermediateSize, vocabSize, tiedEmbeddings,
                maxPositionEmbeddings, ropeTheta, rmsNormEps, bosTokenId, eosTokenIds, false, false, null);
    }

    /** Rope scaling, when config.json asks for one. */
    public Optional<RopeScaling> ropeScalingOptional() {
        return Optional.ofNullable(ropeScaling);
    }

    /** Reads {@code config.json} (required) and {@code generation_config.json} (optional, its token ids win). */
    public static ModelConfig read(Path modelDir) {
        Path configPath = modelDir.resolve(CONFIG_FILE);
        JsonNode c = readJsonObject(configPath);
        String where = configPath.toString();
        String family = checkArchitecture(c, where);
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
        // Qwen2 always has q/k/v biases (none on o_proj); Llama's attention_bias puts one on all four.
        boolean llamaBias = "llama".equals(family) && booleanField(c, "attention_bias", where, false);
        boolean qkvBias = "qwen2".equals(family) || llamaBias;
        checkSlidingWindow(c, where, family, maxPositions);
        RopeScaling scaling = ropeScaling(c, where);

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
                theta, eps, bos, eos, qkvBias, llamaBias, scaling);
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
            if (qkvBias) {
                m.put(p + "self_attn.q_proj.bias", new long[] {qRows});
                m.put(p + "self_attn.k_proj.bias", new long[] {kvRows});
                m.put(p + "self_attn.v_proj.bias", new long[] {kvRows});
            }
            m.put(p + "self_attn.o_proj.weight", new long[] {h, qRows});
            if (oBias) {
                m.put(p + "self_attn.o_proj.bias", new long[] {h});
            }
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

    /** "llama", "mistral" or "qwen2"; anything else (or an unsupported variant) is refused. */
    private static String checkArchitecture(JsonNode c, String where) {
        String type = c.path("model_type").asText("");
        String family = switch (type) {
            case "llama", "mistral", "qwen2" -> type;
            default -> null;
        };
        for (JsonNode a : c.path("architectures")) {
            switch (a.asText()) {
                case "LlamaForCausalLM" -> family = family == null ? "llama" : family;
                case "MistralForCausalLM" -> family = family == null ? "mistral" : family;
                case "Qwen2ForCausalLM" -> family = family == null ? "qwen2" : family;
                default -> {
                }
            }
        }
        if (family == null) {
            throw new ModelFormatException(where + ": not a supported model (model_type " + c.get("model_type")
                    + ", architectures " + c.get("architectures") + "); supported: LlamaForCausalLM,"
                    + " MistralForCausalLM, Qwen2ForCausalLM");
        }
        String act = c.path("hidden_act").asText("silu");
        if (!"silu".equals(act)) {
            throw new ModelFormatException(where + ": hidden_act '" + act + "' is not supported (only silu)");
        }
        if (c.path("mlp_bias").asBoolean(false)) {
            throw new ModelFormatException(where + ": mlp_bias=true is not supported");
        }
        if (!"llama".equals(family) && c.path("attention_bias").asBoolean(false)) {
            throw new ModelFormatException(where + ": attention_bias=true is not supported for " + family);
        }
        return family;
    }

    /** A sliding window shorter than the context would change attention: refused rather than ignored. */
    private static void checkSlidingWindow(JsonNode c, String where, String family, int maxPositions) {
        JsonNode window = c.get("sliding_window");
        boolean active = switch (family) {
            case "mistral" -> window != null && !window.isNull();
            case "qwen2" -> c.path("use_sliding_window").asBoolean(false);
            default -> false;
        };
        if (active && !(window != null && window.isIntegralNumber() && window.asLong() >= maxPositions)) {
            throw new ModelFormatException(where + ": sliding_window " + window + " shorter than"
                    + " max_position_embeddings " + maxPositions + " is not supported");
        }
    }

    /** HF's rope_scaling: null or type "default" for none, "linear" and "llama3" applied, others refused. */
    private static RopeScaling ropeScaling(JsonNode c, String where) {
        JsonNode s = c.get("rope_scaling");
        if (s == null || s.isNull()) {
            return null;
        }
        if (!s.isObject()) {
            throw new ModelFormatException(where + ": rope_scaling " + s + " is not an object");
        }
        String type = s.hasNonNull("rope_type") ? s.get("rope_type").asText() : s.path("type").asText("");
        String at = where + ": rope_scaling";
        switch (type) {
            case "default":
                return null;
            case RopeScaling.LINEAR: {
                double factor = doubleField(s, "factor", at, Double.NaN);
                if (Double.isNaN(factor)) {
                    throw new ModelFormatException(at + " " + s + ": missing factor");
                }
                return RopeScaling.linear(factor);
            }
            case RopeScaling.LLAMA3: {
                double factor = doubleField(s, "factor", at, Double.NaN);
                double low = doubleField(s, "low_freq_factor", at, Double.NaN);
                double high = doubleField(s, "high_freq_factor", at, Double.NaN);
                int original = intField(s, "original_max_position_embeddings", at, 1, 1 << 20, null);
                if (!(high > low) || Double.isNaN(factor) || Double.isNaN(low) || Double.isNaN(high)) {
                    throw new ModelFormatException(at + " " + s + ": needs factor, low_freq_factor < high_freq_factor");
                }
                return RopeScaling.llama3(factor, low, high, original);
            }
            default:
                throw new ModelFormatException(at + " type '" + type + "' is not supported (linear, llama3)");
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
