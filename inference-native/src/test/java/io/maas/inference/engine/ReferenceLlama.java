package io.maas.inference.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** The oracle: an independent Llama forward pass in plain Java doubles that reads the model files itself. */
// Recomputes the whole sequence each call (no cache): slow, but obviously causal.
final class ReferenceLlama {

    private final JsonNode config;
    private final int hidden;
    private final int layers;
    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final int intermediate;
    private final int vocab;
    private final double eps;
    private final double theta;
    private final Map<String, float[]> weights;
    private final String lmHeadName;
    /** LoRA matrices by PEFT key (empty: the bare base) and their scale s. */
    private final Map<String, float[]> lora;
    private final double loraScale;

    private ReferenceLlama(JsonNode config, Map<String, float[]> weights) {
        this(config, weights, Map.of(), 0);
    }

    private ReferenceLlama(JsonNode config, Map<String, float[]> weights, Map<String, float[]> lora,
                           double loraScale) {
        this.config = config;
        this.lora = lora;
        this.loraScale = loraScale;
        hidden = config.get("hidden_size").asInt();
        layers = config.get("num_hidden_layers").asInt();
        heads = config.get("num_attention_heads").asInt();
        kvHeads = config.get("num_key_value_heads").asInt();
        headDim = hidden / heads;
        intermediate = config.get("intermediate_size").asInt();
        vocab = config.get("vocab_size").asInt();
        eps = config.get("rms_norm_eps").asDouble();
        theta = config.get("rope_theta").asDouble();
        lmHeadName = config.get("tie_word_embeddings").asBoolean() ? "model.embed_tokens.weight" : "lm_head.weight";
        this.weights = weights;
    }

    static ReferenceLlama load(Path dir) throws IOException {
        JsonNode config = new ObjectMapper().readTree(dir.resolve("config.json").toFile());
        return new ReferenceLlama(config, readTensors(dir.resolve("model.safetensors")));
    }

    /**
     * This base with a PEFT LoRA adapter applied the textbook way, read independently from its folder:
     * every targeted projection W·x becomes W·x + s·B·(A·x), s = alpha/r (alpha/sqrt(r) with use_rslora).
     */
    ReferenceLlama withAdapter(Path adapterDir) throws IOException {
        JsonNode c = new ObjectMapper().readTree(adapterDir.resolve("adapter_config.json").toFile());
        int r = c.get("r").asInt();
        double alpha = c.get("lora_alpha").asDouble();
        boolean rs = c.has("use_rslora") && c.get("use_rslora").asBoolean();
        return new ReferenceLlama(config, weights, readTensors(adapterDir.resolve("adapter_model.safetensors")),
                rs ? alpha / Math.sqrt(r) : alpha / r);
    }

    static Map<String, float[]> readTensors(Path file) throws IOException {
        ObjectMapper json = new ObjectMapper();
        Map<String, float[]> weights = new HashMap<>();
        try (FileChannel ch = FileChannel.open(file)) {
            ByteBuffer all = ByteBuffer.allocate(Math.toIntExact(ch.size())).order(ByteOrder.LITTLE_ENDIAN);
            while (all.hasRemaining() && ch.read(all) >= 0) {
                // read the whole (small) file
            }
            all.flip();
            long headerLength = all.getLong(0);
            byte[] header = new byte[(int) headerLength];
            all.get(8, header);
            int dataStart = 8 + (int) headerLength;
            JsonNode h = json.readTree(header);
            for (var e : h.properties()) {
                if (e.getKey().equals("__metadata__")) {
                    continue;
                }
                String dtype = e.getValue().get("dtype").asText();
                int begin = e.getValue().get("data_offsets").get(0).asInt();
                int end = e.getValue().get("data_offsets").get(1).asInt();
                int size = dtype.equals("F32") ? 4 : 2;
                float[] values = new float[(end - begin) / size];
                for (int i = 0; i < values.length; i++) {
                    int at = dataStart + begin + i * size;
                    values[i] = switch (dtype) {
                        case "F32" -> all.getFloat(at);
                        case "F16" -> halfToFloat(all.getShort(at));
                        case "BF16" -> Float.intBitsToFloat((all.getShort(at) & 0xffff) << 16);
                        default -> throw new IllegalArgumentException(dtype);
                    };
                }
                weights.put(e.getKey(), values);
            }
        }
        return weights;
    }

    /** Logits [T][vocab] for every position of {@code tokens}, position t seeing tokens 0..t. */
    float[][] logits(int[] tokens) {
        int t = tokens.length;
        double[][] x = new double[t][hidden];
        float[] embed = w("model.embed_tokens.weight");
        for (int p = 0; p < t; p++) {
            for (int i = 0; i < hidden; i++) {
                x[p][i] = embed[tokens[p] * hidden + i];
            }
        }
        for (int l = 0; l < layers; l++) {
            String pre = "model.layers." + l + ".";
            double[][] q = new double[t][];
            double[][] k = new double[t][];
            double[][] v = new double[t][];
            for (int p = 0; p < t; p++) {
                double[] h = rmsNorm(x[p], w(pre + "input_layernorm.weight"));
                q[p] = rope(proj(l, "self_attn.q_proj", h, heads * headDim), heads, p);
                k[p] = rope(proj(l, "self_attn.k_proj", h, kvHeads * headDim), kvHeads, p);
                v[p] = proj(l, "self_attn.v_proj", h, kvHeads * headDim);
            }
            for (int p = 0; p < t; p++) {
                double[] attended = new double[heads * headDim];
                for (int head = 0; head < heads; head++) {
                    int kvHead = head / (heads / kvHeads);
                    double[] scores = new double[p + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j <= p; j++) {
                        double s = 0;
                        for (int d = 0; d < headDim; d++) {
                            s += q[p][head * headDim + d] * k[j][kvHead * headDim + d];
                        }
                        scores[j] = s / Math.sqrt(headDim);
                        max = Math.max(max, scores[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j <= p; j++) {
                        scores[j] = Math.exp(scores[j] - max);
                        sum += scores[j];
                    }
                    for (int j = 0; j <= p; j++) {
                        for (int d = 0; d < headDim; d++) {
                            attended[head * headDim + d] += scores[j] / sum * v[j][kvHead * headDim + d];
                        }
                    }
                }
                add(x[p], proj(l, "self_attn.o_proj", attended, hidden));
            }
            for (int p = 0; p < t; p++) {
                double[] h = rmsNorm(x[p], w(pre + "post_attention_layernorm.weight"));
                double[] gate = proj(l, "mlp.gate_proj", h, intermediate);
                double[] up = proj(l, "mlp.up_proj", h, intermediate);
                for (int i = 0; i < intermediate; i++) {
                    gate[i] = gate[i] / (1 + Math.exp(-gate[i])) * up[i];
                }
                add(x[p], proj(l, "mlp.down_proj", gate, hidden));
            }
        }
        float[][] logits = new float[t][];
        for (int p = 0; p < t; p++) {
            double[] out = matVec(w(lmHeadName), rmsNorm(x[p], w("model.norm.weight")), vocab);
            logits[p] = new float[vocab];
            for (int i = 0; i < vocab; i++) {
                logits[p][i] = (float) out[i];
            }
        }
        return logits;
    }

    /** Projection {@code module} of layer l applied to x, plus the adapter's s·B·(A·x) when it targets it. */
    private double[] proj(int l, String module, double[] x, int rows) {
        double[] y = matVec(w("model.layers." + l + "." + module + ".weight"), x, rows);
        float[] bias = weights.get("model.layers." + l + "." + module + ".bias");
        if (bias != null) {
            for (int i = 0; i < rows; i++) {
                y[i] += bias[i];
            }
        }
        String key = "base_model.model.model.layers." + l + "." + module + ".lora_";
        float[] a = lora.get(key + "A.weight");
        if (a != null) {
            int r = a.length / x.length;
            double[] ax = matVec(a, x, r);
            double[] bax = matVec(lora.get(key + "B.weight"), ax, rows);
            for (int i = 0; i < rows; i++) {
                y[i] += loraScale * bax[i];
            }
        }
        return y;
    }

    private float[] w(String name) {
        float[] values = weights.get(name);
        if (values == null) {
            throw new IllegalArgumentException("no tensor " + name);
        }
        return values;
    }

    private double[] rmsNorm(double[] x, float[] weight) {
        double sumSquares = 0;
        for (double d : x) {
            sumSquares += d * d;
        }
        double scale = 1 / Math.sqrt(sumSquares / x.length + eps);
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i] * scale * weight[i];
        }
        return out;
    }

    /** HF rotate_half convention: pairs (i, i + d/2) rotate by position × theta^(-2i/d). */
    private double[] rope(double[] x, int headCount, int position) {
        int half = headDim / 2;
        double[] out = new double[x.length];
        for (int head = 0; head < headCount; head++) {
            int base = head * headDim;
            for (int i = 0; i < half; i++) {
                double angle = position * inverseFrequency(i);
                double c = Math.cos(angle);
                double s = Math.sin(angle);
                double a = x[base + i];
                double b = x[base + i + half];
                out[base + i] = a * c - b * s;
                out[base + i + half] = b * c + a * s;
            }
        }
        return out;
    }

    /**
     * theta^(-2i/d), scaled as transformers' rope_scaling says: "linear" divides by factor; "llama3" divides
     * wavelengths above original/low_freq_factor by factor, keeps those below original/high_freq_factor, and blends
     * linearly in (original/wavelength) between.
     */
    private double inverseFrequency(int i) {
        double base = Math.pow(theta, -2.0 * i / headDim);
        JsonNode scaling = config.get("rope_scaling");
        if (scaling == null || scaling.isNull()) {
            return base;
        }
        String type = scaling.has("rope_type") ? scaling.get("rope_type").asText() : scaling.get("type").asText();
        double factor = scaling.get("factor").asDouble();
        if (type.equals("linear")) {
            return base / factor;
        }
        if (!type.equals("llama3")) {
            throw new IllegalArgumentException(type);
        }
        double low = scaling.get("low_freq_factor").asDouble();
        double high = scaling.get("high_freq_factor").asDouble();
        double original = scaling.get("original_max_position_embeddings").asDouble();
        double wavelength = 2 * Math.PI / base;
        if (wavelength < original / high) {
            return base;
        }
        if (wavelength > original / low) {
            return base / factor;
        }
        double smooth = (original / wavelength - low) / (high - low);
        return (1 - smooth) * base / factor + smooth * base;
    }

    /** W [rows, x.length] (row-major, HF [out, in] layout) times x. */
    private static double[] matVec(float[] w, double[] x, int rows) {
        double[] out = new double[rows];
        for (int r = 0; r < rows; r++) {
            double s = 0;
            int base = r * x.length;
            for (int c = 0; c < x.length; c++) {
                s += w[base + c] * x[c];
            }
            out[r] = s;
        }
        return out;
    }

    private static void add(double[] x, double[] delta) {
        for (int i = 0; i < x.length; i++) {
            x[i] += delta[i];
        }
    }

    static float halfToFloat(short h) {
        int bits = h & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1f;
        int mantissa = bits & 0x3ff;
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
        }
        if (exp == 0) {
            float value = mantissa * 0x1p-24f;
            return sign != 0 ? -value : value;
        }
        return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mantissa << 13));
    }
}
