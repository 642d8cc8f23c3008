package io.maas.inference.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.maas.inference.ContextLengthExceededException;
import io.maas.inference.InferenceException;
import io.maas.inference.ModelFormatException;
import io.maas.inference.model.ModelGenerator;
import io.maas.inference.model.ModelShape;

/**
 * A gateway's engine: metadata only (config, tokenizer, chat template). It counts, renders and validates exactly as a
 * full engine does, maps no weights (checked in /proc/self/maps) and refuses to generate.
 */
class LlamaEngineMetadataTest {
    @TempDir
    Path root;

    private static boolean mapped(Path file) throws Exception {
        return Files.readString(Path.of("/proc/self/maps")).contains(file.toAbsolutePath().normalize().toString());
    }

    @Test
    void metadataEngineAnswersLikeTheFullOneWithoutMappingWeights() throws Exception {
        assumeTrue(Files.isReadable(Path.of("/proc/self/maps")), "needs Linux /proc to see mappings");
        Path model = root.resolve("meta-tiny");
        ModelGenerator.write(model, ModelShape.TINY, 7);
        Path weights = model.resolve("model.safetensors");
        String prompt = "The quick brown fox jumps over the lazy dog";
        List<ChatMessage> chat = List.of(new ChatMessage("user", "hello there"));

        try (LlamaEngine meta = LlamaEngine.loadMetadata(model)) {
            assertTrue(meta.metadataOnly());
            assertFalse(mapped(weights), "a metadata-only engine maps no weights");
            int[] tokens = meta.promptTokens(GenerationRequest.builder().setPrompt(prompt).setMaxTokens(4).build());
            String rendered = meta.renderChat(chat);
            int counted = meta.countTokens(prompt);
            int context = meta.maxContextTokens();
            assertThrows(ContextLengthExceededException.class, () -> meta.promptTokens(
                    GenerationRequest.builder().setPrompt(prompt).setMaxTokens(context).build()));
            InferenceException refused = assertThrows(InferenceException.class, () -> meta.generate(
                    GenerationRequest.builder().setPrompt(prompt).setMaxTokens(4).build()));
            assertTrue(refused.getMessage().contains("without weights"), refused.getMessage());

            Path adapter = root.resolve("meta-tiny-lora");
            ModelGenerator.writeAdapter(adapter, ModelShape.TINY, "meta-tiny", 4, 8, Set.of("q_proj", "down_proj"), 3,
                    false);
            meta.validateAdapter(adapter);
            assertFalse(mapped(adapter.resolve("adapter_model.safetensors")), "validation maps no adapter weights");
            Path foreign = root.resolve("foreign-lora");
            ModelGenerator.writeAdapter(foreign, ModelShape.SMOLLM_135M, "other", 4, 8, Set.of("q_proj"), 3, false);
            assertThrows(ModelFormatException.class, () -> meta.validateAdapter(foreign));
            assertThrows(InferenceException.class, () -> meta.loadAdapter("meta-tiny-lora", adapter));
            assertFalse(mapped(weights));

            // The full engine (a worker) sees the same numbers; and the mapping check can fail.
            try (LlamaEngine full = LlamaEngine.load(model)) {
                assertFalse(full.metadataOnly());
                assertTrue(mapped(weights), "a full engine maps its weights");
                assertEquals(counted, full.countTokens(prompt));
                assertEquals(context, full.maxContextTokens());
                assertEquals(rendered, full.renderChat(chat));
                assertEquals(List.of(tokens.length), List.of(full.promptTokens(
                        GenerationRequest.builder().setPrompt(prompt).setMaxTokens(4).build()).length));
            }
        }
    }

    @Test
    void weightsThatDoNotFitTheConfigAreRefusedAsByTheFullLoad() throws Exception {
        Path model = root.resolve("bad-tiny");
        ModelGenerator.write(model, ModelShape.TINY, 7);
        Path config = model.resolve("config.json");
        // The config now promises a third layer the weights do not have.
        Files.writeString(config, Files.readString(config).replaceAll("\"num_hidden_layers\"\\s*:\\s*2",
                "\"num_hidden_layers\": 3"));
        ModelFormatException meta = assertThrows(ModelFormatException.class, () -> LlamaEngine.loadMetadata(model));
        ModelFormatException full = assertThrows(ModelFormatException.class, () -> LlamaEngine.load(model));
        assertEquals(full.getMessage(), meta.getMessage());
    }
}
