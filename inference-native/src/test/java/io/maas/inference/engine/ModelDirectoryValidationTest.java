package io.maas.inference.engine;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.maas.inference.ModelFormatException;
import io.maas.inference.model.Checkpoint;
import io.maas.inference.model.ModelConfig;
import io.maas.inference.model.ModelGenerator;
import io.maas.inference.model.ModelShape;
import io.maas.inference.model.SafetensorsFile;
import io.maas.inference.model.SafetensorsWriter;
import io.maas.inference.model.TensorDType;
import io.maas.inference.model.TensorInfo;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Loading refuses inconsistent model directories with a message naming the file and the tensor. */
class ModelDirectoryValidationTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AtomicInteger COPIES = new AtomicInteger();

    @TempDir
    static Path root;
    static Path template;

    @BeforeAll
    static void generate() throws IOException {
        template = root.resolve("template");
        ModelGenerator.write(template, ModelShape.TINY, 99);
    }

    @Test
    void configThatDisagreesWithTheTensorsNamesTheTensor() throws IOException {
        assertConfigRejected(c -> c.put("intermediate_size", 100), "'model.layers.0.mlp.gate_proj.weight'",
                "[100, 64]");
        assertConfigRejected(c -> c.put("num_hidden_layers", 3), "missing tensor 'model.layers.2.input_layernorm.weight'");
        assertConfigRejected(c -> c.put("num_hidden_layers", 1), "unexpected tensor 'model.layers.1.");
        assertConfigRejected(c -> c.put("tie_word_embeddings", false), "missing tensor 'lm_head.weight'");
        assertConfigRejected(c -> c.put("num_key_value_heads", 4), "'model.layers.0.self_attn.k_proj.weight'");
        assertConfigRejected(c -> c.put("vocab_size", 600), "'model.embed_tokens.weight'");
        assertConfigRejected(c -> c.put("hidden_size", 65), "hidden_size");
    }

    @Test
    void unsupportedOrMalformedConfigNamesConfigJson() throws IOException {
        assertConfigRejected(c -> c.put("model_type", "gpt2").putArray("architectures").add("GPT2LMHeadModel"),
                "LlamaForCausalLM");
        assertConfigRejected(c -> c.putObject("rope_scaling").put("type", "llama3"), "rope_scaling");
        assertConfigRejected(c -> c.putObject("rope_scaling").put("rope_type", "yarn").put("factor", 4.0),
                "rope_scaling type 'yarn' is not supported");
        assertConfigRejected(c -> c.putObject("rope_scaling").put("rope_type", "linear"), "missing factor");
        assertConfigRejected(c -> c.put("mlp_bias", true), "mlp_bias");
        // Llama's attention_bias puts biases on q/k/v/o: a checkpoint without them is named precisely.
        assertConfigRejected(c -> c.put("attention_bias", true),
                "missing tensor 'model.layers.0.self_attn.q_proj.bias'");
        // A Qwen2 config always implies q/k/v biases; a sliding window shorter than the context is refused.
        assertConfigRejected(c -> c.put("model_type", "qwen2").putArray("architectures").add("Qwen2ForCausalLM"),
                "missing tensor 'model.layers.0.self_attn.q_proj.bias'");
        assertConfigRejected(c -> c.put("model_type", "qwen2").put("use_sliding_window", true)
                .put("sliding_window", 16), "sliding_window");
        assertConfigRejected(c -> c.put("model_type", "mistral").put("sliding_window", 16), "sliding_window");
        assertConfigRejected(c -> c.remove("hidden_size"), "missing hidden_size");
        assertConfigRejected(c -> c.put("num_attention_heads", "four"), "num_attention_heads");
        assertConfigRejected(c -> c.put("eos_token_id", 100000), "eos_token_id");
        Path dir = copy("bad-json");
        Files.writeString(dir.resolve("config.json"), "{\"hidden_size\": 64,");
        assertRejected(dir, "config.json", "invalid JSON");
    }

    @Test
    void pickleOnlyDirectoryIsRefused() throws IOException {
        Path dir = copy("pickle");
        Files.delete(dir.resolve("model.safetensors"));
        Files.write(dir.resolve("pytorch_model.bin"), new byte[] {(byte) 0x80, 2, 'c', 'o', 's', '\n'});
        assertRejected(dir, "pytorch_model.bin", "pickle");
    }

    @Test
    void missingOrBrokenFilesAreNamed() throws IOException {
        Path noWeights = copy("no-weights");
        Files.delete(noWeights.resolve("model.safetensors"));
        assertRejected(noWeights, "model.safetensors", "not found");

        Path noTokenizer = copy("no-tokenizer");
        Files.delete(noTokenizer.resolve("tokenizer.json"));
        assertRejected(noTokenizer, "tokenizer.json", "not found");

        Path badTokenizer = copy("bad-tokenizer");
        Files.writeString(badTokenizer.resolve("tokenizer.json"), "{\"model\": {\"type\": \"NoSuchModel\", \"vocab\": {\"a\": 0}}}");
        assertRejected(badTokenizer, "tokenizer.json");

        Path truncated = copy("truncated-weights");
        byte[] weights = Files.readAllBytes(truncated.resolve("model.safetensors"));
        Files.write(truncated.resolve("model.safetensors"), java.util.Arrays.copyOf(weights, weights.length - 4));
        assertRejected(truncated, "model.safetensors");

        assertRejected(root.resolve("does-not-exist"), "does-not-exist", "not a directory");
    }

    @Test
    void wrongDtypeIsNamedWithTheTensor() throws IOException {
        Path dir = copy("int-weights");
        rewriteWeights(dir, Map.of("model.norm.weight", TensorDType.I32));
        assertRejected(dir, "model.safetensors", "'model.norm.weight'", "I32");
    }

    @Test
    void shardedCheckpointLoadsLikeTheSingleFile() throws IOException {
        Path dir = copy("sharded");
        shard(dir);
        try (LlamaEngine single = LlamaEngine.load(template); LlamaEngine sharded = LlamaEngine.load(dir)) {
            GenerationRequest request = new GenerationRequest("The city was waking up slowly", 12);
            assertEquals(LlamaEngineTest.withoutTiming(single.generate(request)),
                    LlamaEngineTest.withoutTiming(sharded.generate(request)));
        }
        ObjectNode index = (ObjectNode) JSON.readTree(dir.resolve(Checkpoint.INDEX_FILE).toFile());
        ((ObjectNode) index.get("weight_map")).put("model.norm.weight", "../model-00001-of-00002.safetensors");
        JSON.writeValue(dir.resolve(Checkpoint.INDEX_FILE).toFile(), index);
        assertRejected(dir, Checkpoint.INDEX_FILE, "'model.norm.weight'");
        ((ObjectNode) index.get("weight_map")).put("model.norm.weight", "model-00001-of-00002.safetensors");
        JSON.writeValue(dir.resolve(Checkpoint.INDEX_FILE).toFile(), index);
        assertRejected(dir, "model-00001-of-00002.safetensors", "'model.norm.weight'");
    }

    private static void assertConfigRejected(Consumer<ObjectNode> change, String... fragments) throws IOException {
        Path dir = copy("config-" + COPIES.incrementAndGet());
        ObjectNode config = (ObjectNode) JSON.readTree(dir.resolve("config.json").toFile());
        change.accept(config);
        JSON.writeValue(dir.resolve("config.json").toFile(), config);
        // A consistent config lists either the problem in config.json or the tensor in model.safetensors.
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> LlamaEngine.load(dir).close());
        assertTrue(e.getMessage().contains("config.json"), e.getMessage());
        for (String fragment : fragments) {
            assertTrue(e.getMessage().contains(fragment), "'" + fragment + "' not in: " + e.getMessage());
        }
    }

    private static void assertRejected(Path dir, String... fragments) {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> LlamaEngine.load(dir).close());
        for (String fragment : fragments) {
            assertTrue(e.getMessage().contains(fragment), "'" + fragment + "' not in: " + e.getMessage());
        }
    }

    private static Path copy(String name) throws IOException {
        Path dir = root.resolve(name);
        Files.createDirectories(dir);
        try (Stream<Path> files = Files.list(template)) {
            for (Path f : files.toList()) {
                Files.copy(f, dir.resolve(f.getFileName()));
            }
        }
        return dir;
    }

    /** Rewrites model.safetensors with some tensors declared as another dtype of the same width. */
    private static void rewriteWeights(Path dir, Map<String, TensorDType> dtypes) throws IOException {
        Path file = dir.resolve("model.safetensors");
        byte[] original = Files.readAllBytes(file);
        String header;
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            int length = (int) java.nio.ByteBuffer.wrap(original, 0, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN)
                    .getLong();
            header = new String(original, 8, length, java.nio.charset.StandardCharsets.UTF_8);
            for (Map.Entry<String, TensorDType> e : dtypes.entrySet()) {
                TensorInfo t = f.tensor(e.getKey());
                String from = "\"" + e.getKey() + "\":{\"dtype\":\"" + t.dtype() + "\"";
                String to = "\"" + e.getKey() + "\":{\"dtype\":\"" + e.getValue() + "\"";
                assertTrue(header.contains(from), "header layout: " + from);
                header = header.replace(from, to);
            }
        }
        byte[] replaced = header.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        System.arraycopy(replaced, 0, original, 8, replaced.length);
        Files.write(file, original);
    }

    /** Splits model.safetensors into two shards plus an index, as Hugging Face does for large models. */
    private static void shard(Path dir) throws IOException {
        Path single = dir.resolve("model.safetensors");
        ObjectNode weightMap = JSON.createObjectNode();
        try (SafetensorsFile f = SafetensorsFile.open(single)) {
            List<String> names = List.copyOf(f.tensors().keySet());
            int half = names.size() / 2;
            for (int s = 0; s < 2; s++) {
                String shardName = "model-0000" + (s + 1) + "-of-00002.safetensors";
                LinkedHashMap<String, long[]> shapes = new LinkedHashMap<>();
                for (String name : s == 0 ? names.subList(0, half) : names.subList(half, names.size())) {
                    shapes.put(name, f.tensor(name).shape());
                    weightMap.put(name, shardName);
                }
                SafetensorsWriter.write(dir.resolve(shardName), TensorDType.F32, shapes, Map.of("format", "pt"),
                        name -> {
                            ByteBuffer values = f.map(f.tensor(name));
                            return values::getFloat;
                        });
            }
        }
        Files.delete(single);
        ObjectNode index = JSON.createObjectNode();
        index.putObject("metadata").put("total_size", 0);
        index.set("weight_map", weightMap);
        JSON.writeValue(dir.resolve(Checkpoint.INDEX_FILE).toFile(), index);
        assertEquals(ModelConfig.read(dir).numLayers(), ModelShape.TINY.numLayers());
    }
}
