package io.maas.inference.model;

import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;

/** Writes deterministic random-weight Hugging Face model directories of real shapes (tests, benchmarks, demo). */
public final class ModelGenerator {

    /** Tokens the generated tokenizer learns at most; larger embedding tables keep rows no token uses (allowed by HF). */
    public static final int TOKENIZER_VOCAB_SIZE = 512;
    /** ChatML special tokens, ids 0, 1, 2 as in SmolLM-Instruct. */
    public static final List<String> SPECIAL_TOKENS = List.of("<|endoftext|>", "<|im_start|>", "<|im_end|>");
    public static final int BOS_TOKEN_ID = 1;
    public static final int EOS_TOKEN_ID = 2;
    /** SmolLM-Instruct's ChatML template, with a neutral default system prompt. */
    public static final String CHAT_TEMPLATE = "{% for message in messages %}"
            + "{% if loop.first and messages[0]['role'] != 'system' %}"
            + "{{ '<|im_start|>system\\nYou are a helpful AI assistant.<|im_end|>\\n' }}{% endif %}"
            + "{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}"
            + "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    private static final String CORPUS_RESOURCE = "bpe-corpus.txt";
    private static final JsonMapper JSON = JsonMapper.builder().build();
    // Fixed "\n" line ends: the same seed must give byte-identical files on every platform.
    private static final ObjectWriter PRETTY = JSON.writer(new DefaultPrettyPrinter()
            .withObjectIndenter(new DefaultIndenter("  ", "\n"))
            .withArrayIndenter(new DefaultIndenter("  ", "\n")));

    private ModelGenerator() {
    }

    /** Writes an F32 model directory; the same shape and seed always give byte-identical files. */
    public static void write(Path dir, ModelShape shape, long seed) throws IOException {
        write(dir, shape, seed, TensorDType.F32);
    }

    /** Writes a model directory with weights stored as {@code dtype} (F32, F16 or BF16). */
    public static void write(Path dir, ModelShape shape, long seed, TensorDType dtype) throws IOException {
        Files.createDirectories(dir);
        ModelConfig config = new ModelConfig(shape.hiddenSize(), shape.numLayers(), shape.numHeads(),
                shape.numKvHeads(), shape.headDim(), shape.intermediateSize(), shape.vocabSize(),
                shape.tiedEmbeddings(), shape.maxPositionEmbeddings(), shape.ropeTheta(), shape.rmsNormEps(),
                OptionalInt.of(BOS_TOKEN_ID), List.of(EOS_TOKEN_ID), shape.qkvBias(), false, shape.ropeScaling());
        writeJson(dir.resolve(ModelConfig.CONFIG_FILE), configJson(shape, dtype));
        writeJson(dir.resolve(ModelConfig.GENERATION_CONFIG_FILE), generationConfigJson());
        ByteLevelBpeTrainer.Vocabulary vocabulary = ByteLevelBpeTrainer.train(corpus(),
                Math.min(shape.vocabSize(), TOKENIZER_VOCAB_SIZE), SPECIAL_TOKENS);
        writeJson(dir.resolve("tokenizer.json"), ByteLevelBpeTrainer.tokenizerJson(vocabulary, SPECIAL_TOKENS));
        writeJson(dir.resolve("tokenizer_config.json"), tokenizerConfigJson(shape));
        LinkedHashMap<String, long[]> shapes = new LinkedHashMap<>(config.expectedTensors());
        SafetensorsWriter.write(dir.resolve(Checkpoint.SINGLE_FILE), dtype, shapes, Map.of("format", "pt"),
                name -> values(name, shapes.get(name), seed));
    }

    /** The seven projection names a generated adapter may target, in PEFT's spelling and file order. */
    public static final List<String> ADAPTER_MODULES = List.of("q_proj", "k_proj", "v_proj", "o_proj",
            "gate_proj", "up_proj", "down_proj");

    /**
     * Writes a PEFT LoRA folder for a model of shape {@code base}: {@code adapter_config.json} and
     * {@code adapter_model.safetensors} (F32), one A [r, in] and B [out, r] per layer and target module; the same
     * arguments always give byte-identical files. A is uniform with standard deviation 1/sqrt(in) (as the base's
     * matrices); B is zero ({@code zeroB}, PEFT's initialisation: the adapter then changes nothing) or uniform with
     * standard deviation 0.5 / (s·sqrt(r)), so the delta {@code s·B·A·x} is about half the size of a base
     * projection's output: visible in the logits, never blowing activations up.
     */
    public static void writeAdapter(Path dir, ModelShape base, String baseName, int rank, double alpha,
                                    Set<String> targetModules, long seed, boolean zeroB) throws IOException {
        if (rank < 1 || !(alpha > 0)) {
            throw new IllegalArgumentException("rank must be ≥ 1 and alpha > 0");
        }
        if (targetModules.isEmpty() || !ADAPTER_MODULES.containsAll(targetModules)) {
            throw new IllegalArgumentException("target modules must be a non-empty subset of " + ADAPTER_MODULES);
        }
        Files.createDirectories(dir);
        List<String> targets = ADAPTER_MODULES.stream().filter(targetModules::contains).toList();
        ObjectNode c = JSON.createObjectNode();
        c.putObject("alpha_pattern");
        c.putNull("auto_mapping");
        c.put("base_model_name_or_path", baseName);
        c.put("bias", "none");
        c.put("fan_in_fan_out", false);
        c.put("inference_mode", true);
        c.put("init_lora_weights", true);
        c.putNull("layers_to_transform");
        c.put("lora_alpha", alpha);
        c.put("lora_dropout", 0.0);
        c.putNull("modules_to_save");
        c.put("peft_type", "LORA");
        c.put("r", rank);
        c.putObject("rank_pattern");
        c.putNull("revision");
        var modules = c.putArray("target_modules");
        targets.forEach(modules::add);
        c.put("task_type", "CAUSAL_LM");
        c.put("use_dora", false);
        c.put("use_rslora", false);
        writeJson(dir.resolve("adapter_config.json"), c);

        long h = base.hiddenSize();
        long q = (long) base.numHeads() * base.headDim();
        long kv = (long) base.numKvHeads() * base.headDim();
        long inter = base.intermediateSize();
        LinkedHashMap<String, long[]> shapes = new LinkedHashMap<>();
        for (int layer = 0; layer < base.numLayers(); layer++) {
            for (String m : targets) {
                long[] outIn = switch (m) {
                    case "q_proj" -> new long[] {q, h};
                    case "k_proj", "v_proj" -> new long[] {kv, h};
                    case "o_proj" -> new long[] {h, q};
                    case "gate_proj", "up_proj" -> new long[] {inter, h};
                    default -> new long[] {h, inter};
                };
                String block = m.equals("gate_proj") || m.equals("up_proj") || m.equals("down_proj")
                        ? "mlp" : "self_attn";
                String prefix = "base_model.model.model.layers." + layer + "." + block + "." + m + ".";
                shapes.put(prefix + "lora_A.weight", new long[] {rank, outIn[1]});
                shapes.put(prefix + "lora_B.weight", new long[] {outIn[0], rank});
            }
        }
        double scale = alpha / rank;
        float bAmplitude = (float) (Math.sqrt(3.0) * 0.5 / (scale * Math.sqrt(rank)));
        SafetensorsWriter.write(dir.resolve("adapter_model.safetensors"), TensorDType.F32, shapes,
                Map.of("format", "pt"), name -> {
                    SplitMix64 random = new SplitMix64(SplitMix64.derive(seed, name));
                    if (name.endsWith("lora_B.weight")) {
                        return zeroB ? () -> 0f : () -> bAmplitude * random.nextSigned();
                    }
                    float amplitude = (float) (Math.sqrt(3.0) / Math.sqrt(shapes.get(name)[1]));
                    return () -> amplitude * random.nextSigned();
                });
    }

    /** The built-in English text the tokenizer's merges are learned from. */
    public static String corpus() {
        try (InputStream in = ModelGenerator.class.getResourceAsStream(CORPUS_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + CORPUS_RESOURCE);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Norm weights near 1; matrices uniform with standard deviation 1/sqrt(fan_in), so every projection keeps its
     * input's scale: attention and MLP visibly move the logits (a bug cannot hide under a test tolerance) and
     * activations stay finite through any number of layers because RMSNorm rescales them.
     */
    private static SafetensorsWriter.FloatSource values(String name, long[] shape, long seed) {
        SplitMix64 random = new SplitMix64(SplitMix64.derive(seed, name));
        if (name.endsWith(".bias")) {
            // Large enough to move the logits visibly, so a dropped or misplaced bias fails the reference test.
            return () -> 0.5f * random.nextSigned();
        }
        if (shape.length == 1) {
            return () -> 1f + 0.1f * random.nextSigned();
        }
        float amplitude = (float) (Math.sqrt(3.0) / Math.sqrt(shape[1]));
        return () -> amplitude * random.nextSigned();
    }

    private static ObjectNode configJson(ModelShape s, TensorDType dtype) {
        ObjectNode c = JSON.createObjectNode();
        boolean qwen2 = "qwen2".equals(s.family());
        c.putArray("architectures").add(qwen2 ? "Qwen2ForCausalLM" : "LlamaForCausalLM");
        if (!qwen2) {
            c.put("attention_bias", false);
        }
        c.put("attention_dropout", 0.0);
        c.put("bos_token_id", BOS_TOKEN_ID);
        c.put("eos_token_id", EOS_TOKEN_ID);
        c.put("hidden_act", "silu");
        c.put("hidden_size", s.hiddenSize());
        c.put("initializer_range", 0.02);
        c.put("intermediate_size", s.intermediateSize());
        c.put("max_position_embeddings", s.maxPositionEmbeddings());
        if (qwen2) {
            c.put("max_window_layers", s.numLayers());
        } else {
            c.put("mlp_bias", false);
        }
        c.put("model_type", qwen2 ? "qwen2" : "llama");
        c.put("num_attention_heads", s.numHeads());
        c.put("num_hidden_layers", s.numLayers());
        c.put("num_key_value_heads", s.numKvHeads());
        c.put("pretraining_tp", 1);
        c.put("rms_norm_eps", s.rmsNormEps());
        RopeScaling scaling = s.ropeScaling();
        if (scaling == null) {
            c.putNull("rope_scaling");
        } else {
            ObjectNode r = c.putObject("rope_scaling");
            r.put("factor", scaling.factor());
            if (RopeScaling.LLAMA3.equals(scaling.type())) {
                r.put("high_freq_factor", scaling.highFreqFactor());
                r.put("low_freq_factor", scaling.lowFreqFactor());
                r.put("original_max_position_embeddings", scaling.originalMaxPositionEmbeddings());
            }
            r.put("rope_type", scaling.type());
        }
        c.put("rope_theta", s.ropeTheta());
        c.put("tie_word_embeddings", s.tiedEmbeddings());
        c.put("torch_dtype", switch (dtype) {
            case F16 -> "float16";
            case BF16 -> "bfloat16";
            default -> "float32";
        });
        c.put("use_cache", true);
        if (qwen2) {
            c.putNull("sliding_window");
            c.put("use_sliding_window", false);
        }
        c.put("vocab_size", s.vocabSize());
        return c;
    }

    private static ObjectNode generationConfigJson() {
        ObjectNode g = JSON.createObjectNode();
        g.put("_from_model_config", true);
        g.put("bos_token_id", BOS_TOKEN_ID);
        g.put("eos_token_id", EOS_TOKEN_ID);
        return g;
    }

    private static ObjectNode tokenizerConfigJson(ModelShape s) {
        ObjectNode t = JSON.createObjectNode();
        t.put("add_prefix_space", false);
        ObjectNode decoder = t.putObject("added_tokens_decoder");
        for (int i = 0; i < SPECIAL_TOKENS.size(); i++) {
            decoder.putObject(Integer.toString(i)).put("content", SPECIAL_TOKENS.get(i)).put("lstrip", false)
                    .put("normalized", false).put("rstrip", false).put("single_word", false).put("special", true);
        }
        t.putArray("additional_special_tokens").add(SPECIAL_TOKENS.get(1)).add(SPECIAL_TOKENS.get(2));
        t.put("bos_token", SPECIAL_TOKENS.get(BOS_TOKEN_ID));
        t.put("chat_template", CHAT_TEMPLATE);
        // Decoding must give back the exact text; HF's clean-up would drop spaces before punctuation.
        t.put("clean_up_tokenization_spaces", false);
        t.put("eos_token", SPECIAL_TOKENS.get(EOS_TOKEN_ID));
        t.put("model_max_length", s.maxPositionEmbeddings());
        t.put("pad_token", SPECIAL_TOKENS.get(EOS_TOKEN_ID));
        t.put("tokenizer_class", "GPT2Tokenizer");
        t.put("unk_token", SPECIAL_TOKENS.get(0));
        return t;
    }

    private static void writeJson(Path file, JsonNode node) throws IOException {
        Files.write(file, (PRETTY.writeValueAsString(node) + "\n").getBytes(StandardCharsets.UTF_8));
    }
}
