package io.maas.inference.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Generated model directories are deterministic, complete and self-consistent. */
class ModelGeneratorTest {

    private static final List<String> FILES = List.of("config.json", "generation_config.json", "model.safetensors",
            "tokenizer.json", "tokenizer_config.json");

    @TempDir
    Path dir;

    @Test
    void sameSeedGivesByteIdenticalFiles() throws Exception {
        ModelGenerator.write(dir.resolve("a"), ModelShape.TINY, 1);
        ModelGenerator.write(dir.resolve("b"), ModelShape.TINY, 1);
        ModelGenerator.write(dir.resolve("c"), ModelShape.TINY, 2);
        try (Stream<Path> listed = Files.list(dir.resolve("a"))) {
            assertEquals(FILES, listed.map(p -> p.getFileName().toString()).sorted().toList());
        }
        for (String f : FILES) {
            assertArrayEquals(Files.readAllBytes(dir.resolve("a").resolve(f)), Files.readAllBytes(dir.resolve("b").resolve(f)), f);
        }
        assertFalse(java.util.Arrays.equals(Files.readAllBytes(dir.resolve("a/model.safetensors")),
                Files.readAllBytes(dir.resolve("c/model.safetensors"))), "another seed gives other weights");
        assertArrayEquals(Files.readAllBytes(dir.resolve("a/tokenizer.json")),
                Files.readAllBytes(dir.resolve("c/tokenizer.json")), "the tokenizer does not depend on the seed");
    }

    @Test
    void configAndTensorsAgreeWithTheShape() throws Exception {
        ModelShape shape = ModelShape.TINY;
        Path model = dir.resolve("tiny");
        ModelGenerator.write(model, shape, 3);
        ModelConfig config = ModelConfig.read(model);
        assertEquals(shape.hiddenSize(), config.hiddenSize());
        assertEquals(shape.numLayers(), config.numLayers());
        assertEquals(shape.numKvHeads(), config.numKvHeads());
        assertEquals(shape.headDim(), config.headDim());
        assertEquals(shape.vocabSize(), config.vocabSize());
        assertEquals(ModelGenerator.BOS_TOKEN_ID, config.bosTokenId().getAsInt());
        assertEquals(List.of(ModelGenerator.EOS_TOKEN_ID), config.eosTokenIds());
        try (Checkpoint checkpoint = Checkpoint.open(model, config)) {
            assertEquals(2 + 9 * shape.numLayers(), checkpoint.files().get(0).tensors().size(), "tied: no lm_head");
            assertEquals("pt", checkpoint.files().get(0).metadata().get("format"));
            float norm = checkpoint.map("model.norm.weight").getFloat(0);
            assertTrue(norm > 0.85f && norm < 1.15f, "norm weights near 1: " + norm);
        }
        long expectedBytes = 4L * (2L * 64 * 64 + 2L * 64 * 32 + 3L * 64 * 128 + 2 * 64) * shape.numLayers()
                + 4L * (512 * 64 + 64);
        long dataBytes = Files.size(model.resolve("model.safetensors"));
        assertTrue(dataBytes > expectedBytes && dataBytes < expectedBytes + 8192, "size " + dataBytes);
    }

    @Test
    void tokenizerAndChatTemplateFollowHuggingFaceLayout() throws Exception {
        Path model = dir.resolve("tiny");
        ModelGenerator.write(model, ModelShape.TINY, 3);
        ObjectMapper json = new ObjectMapper();
        JsonNode tokenizer = json.readTree(model.resolve("tokenizer.json").toFile());
        assertEquals("ByteLevel", tokenizer.at("/pre_tokenizer/type").asText());
        assertEquals("ByteLevel", tokenizer.at("/decoder/type").asText());
        assertEquals("BPE", tokenizer.at("/model/type").asText());
        assertEquals(ModelShape.TINY.vocabSize(), tokenizer.at("/model/vocab").size());
        assertEquals(ModelShape.TINY.vocabSize() - 259, tokenizer.at("/model/merges").size());
        assertEquals(3 + 0x20, tokenizer.at("/model/vocab/Ġ").asInt(), "space is byte symbol 'Ġ', after 3 specials");
        assertEquals("<|im_end|>", tokenizer.at("/added_tokens/2/content").asText());
        JsonNode config = json.readTree(model.resolve("tokenizer_config.json").toFile());
        assertTrue(config.get("chat_template").asText().contains("<|im_start|>"));
        assertEquals("<|im_end|>", config.get("eos_token").asText());
    }

    @Test
    void halfFloatConversionsRoundToNearestEven() {
        for (float v : new float[] {0f, -0f, 1f, -2.5f, 0.1f, 65504f, 1e-7f, 3.14159f}) {
            float f16 = HalfFloats.f16ToFloat(HalfFloats.toF16(v));
            assertTrue(Math.abs(f16 - v) <= Math.abs(v) * 0x1p-11f + 0x1p-25f, v + " -> " + f16);
            float bf16 = HalfFloats.bf16ToFloat(HalfFloats.toBf16(v));
            assertTrue(Math.abs(bf16 - v) <= Math.abs(v) * 0x1p-8f, v + " -> " + bf16);
        }
        assertEquals(Float.POSITIVE_INFINITY, HalfFloats.f16ToFloat(HalfFloats.toF16(70000f)));
        assertEquals((short) 0x3c00, HalfFloats.toF16(1f));
        assertEquals((short) 0x3f80, HalfFloats.toBf16(1f));
        // 1 + 2^-11 lies exactly between two F16 values: ties go to the even one (1.0)
        assertEquals((short) 0x3c00, HalfFloats.toF16(1f + 0x1p-11f));
        assertEquals((short) 0x3c02, HalfFloats.toF16(1f + 3 * 0x1p-11f));
    }
}
