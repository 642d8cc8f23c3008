package io.maas.inference.lora;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.maas.inference.ModelFormatException;
import io.maas.inference.engine.LlamaEngine;
import io.maas.inference.model.ModelGenerator;
import io.maas.inference.model.ModelShape;
import io.maas.inference.model.SafetensorsWriter;
import io.maas.inference.model.TensorDType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Adapter folders are validated against their base before use; every refusal names the file and tensor. */
class LoraAdapterValidationTest {

    // TINY: hidden 64, 4 heads of 16, 2 KV heads, intermediate 128, 2 layers.
    private static final String Q = "base_model.model.model.layers.0.self_attn.q_proj.";

    @TempDir
    static Path root;
    static LlamaEngine engine;
    static int counter;

    @BeforeAll
    static void load() throws Exception {
        Path model = root.resolve("tiny-llama");
        ModelGenerator.write(model, ModelShape.TINY, 42);
        engine = LlamaEngine.load(model);
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    @Test
    void generatedAdapterIsValidAndDeterministic() throws Exception {
        Path one = root.resolve("gen-1");
        Path two = root.resolve("gen-2");
        Set<String> modules = Set.of("q_proj", "down_proj");
        ModelGenerator.writeAdapter(one, ModelShape.TINY, "tiny-llama", 4, 8, modules, 77, false);
        ModelGenerator.writeAdapter(two, ModelShape.TINY, "tiny-llama", 4, 8, modules, 77, false);
        for (String f : new String[] {LoraAdapter.CONFIG_FILE, LoraAdapter.WEIGHTS_FILE}) {
            assertArrayEquals(Files.readAllBytes(one.resolve(f)), Files.readAllBytes(two.resolve(f)), f);
        }
        LoraAdapter adapter = engine.loadAdapter("gen", one);
        assertEquals(Set.of(LoraTarget.Q_PROJ, LoraTarget.DOWN_PROJ), adapter.targets());
        assertEquals(2.0, adapter.scale());
        assertTrue(engine.unloadAdapter("gen"));
    }

    @Test
    void wrongShapeIsRefused() throws Exception {
        Map<String, long[]> t = qOnly(4);
        t.put(Q + "lora_A.weight", new long[] {4, 65});
        assertRefused(folder(4, "q_proj", t), Q + "lora_A.weight", "shape [4, 65]");
    }

    @Test
    void wrongOutputDimensionIsRefused() throws Exception {
        Map<String, long[]> t = qOnly(4);
        t.put("base_model.model.model.layers.1.self_attn.q_proj.lora_B.weight", new long[] {32, 4});
        assertRefused(folder(4, "q_proj", t), "layers.1.self_attn.q_proj.lora_B.weight", "shape [32, 4]");
    }

    @Test
    void rankMismatchIsRefused() throws Exception {
        assertRefused(folder(8, "q_proj", qOnly(4)), Q + "lora_A.weight", "r = 8");
    }

    @Test
    void unknownModuleIsRefused() throws Exception {
        Map<String, long[]> t = qOnly(4);
        t.put("base_model.model.model.layers.0.self_attn.w_proj.lora_A.weight", new long[] {4, 64});
        assertRefused(folder(4, "q_proj", t), "self_attn.w_proj.lora_A.weight", "unknown module 'w_proj'");
    }

    @Test
    void moduleOutsideTargetModulesIsRefused() throws Exception {
        Map<String, long[]> t = qOnly(4);
        t.put("base_model.model.model.layers.0.self_attn.k_proj.lora_A.weight", new long[] {4, 64});
        assertRefused(folder(4, "q_proj", t), "layers.0.self_attn.k_proj.lora_A.weight", "not in target_modules");
    }

    @Test
    void unknownTargetModuleInConfigIsRefused() throws Exception {
        Path dir = folder(4, "q_proj", qOnly(4));
        editConfig(dir, c -> c.putArray("target_modules").add("q_proj").add("lm_head"));
        assertRefused(dir, LoraAdapter.CONFIG_FILE, "unknown module 'lm_head'");
    }

    @Test
    void layerOutOfRangeIsRefused() throws Exception {
        Map<String, long[]> t = qOnly(4);
        t.put("base_model.model.model.layers.2.self_attn.q_proj.lora_A.weight", new long[] {4, 64});
        assertRefused(folder(4, "q_proj", t), "layers.2.self_attn.q_proj.lora_A.weight", "layer 2 is out of range");
    }

    @Test
    void missingMatrixIsRefused() throws Exception {
        Map<String, long[]> t = qOnly(4);
        t.remove("base_model.model.model.layers.1.self_attn.q_proj.lora_B.weight");
        assertRefused(folder(4, "q_proj", t), "layers.1.self_attn.q_proj.lora_B.weight", "missing tensor");
    }

    @Test
    void unexpectedKeyIsRefused() throws Exception {
        Map<String, long[]> t = qOnly(4);
        t.put("base_model.model.lm_head.weight", new long[] {512, 64});
        assertRefused(folder(4, "q_proj", t), "base_model.model.lm_head.weight", "unexpected tensor");
    }

    @Test
    void unsupportedDtypeIsRefused() throws Exception {
        Path dir = folder(4, "q_proj", qOnly(4));
        // Rewrite one entry's dtype as I32 (same byte size, so the header stays well-formed).
        Path file = dir.resolve(LoraAdapter.WEIGHTS_FILE);
        byte[] bytes = Files.readAllBytes(file);
        String text = new String(bytes, java.nio.charset.StandardCharsets.ISO_8859_1);
        int at = text.indexOf("\"F32\"");
        assertTrue(at > 0);
        bytes[at + 1] = 'I';
        Files.write(file, bytes);
        assertRefused(dir, LoraAdapter.WEIGHTS_FILE, "dtype I32");
    }

    @Test
    void unsupportedConfigFeaturesAreRefused() throws Exception {
        Path dora = folder(4, "q_proj", qOnly(4));
        editConfig(dora, c -> c.put("use_dora", true));
        assertRefused(dora, LoraAdapter.CONFIG_FILE, "use_dora");
        Path rank = folder(4, "q_proj", qOnly(4));
        editConfig(rank, c -> c.put("r", 0));
        assertRefused(rank, LoraAdapter.CONFIG_FILE, "r must be");
    }

    @Test
    void pickleAdapterIsRefused() throws Exception {
        Path dir = root.resolve("pickle");
        Files.createDirectories(dir);
        ModelGenerator.writeAdapter(dir, ModelShape.TINY, "tiny-llama", 4, 8, Set.of("q_proj"), 1, false);
        Files.delete(dir.resolve(LoraAdapter.WEIGHTS_FILE));
        Files.write(dir.resolve(LoraAdapter.PICKLE_WEIGHTS_FILE), HexFormat.of().parseHex("80027d71002e"));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> engine.loadAdapter("p", dir));
        assertTrue(e.getMessage().contains("adapter_model.bin") && e.getMessage().contains("pickle"),
                e.getMessage());
        assertTrue(!engine.adapterIds().contains("p"));
    }

    private static void assertRefused(Path dir, String mustName, String reason) {
        String id = "bad-" + (counter++);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> engine.loadAdapter(id, dir));
        String m = e.getMessage();
        assertTrue(m.contains(dir.toAbsolutePath().toString()), "names the folder's file: " + m);
        assertTrue(m.contains(mustName), "names " + mustName + ": " + m);
        assertTrue(m.contains(reason), "says " + reason + ": " + m);
        assertTrue(!engine.adapterIds().contains(id));
    }

    /** A and B for q_proj in both layers at rank r (valid for TINY). */
    private static Map<String, long[]> qOnly(int r) {
        Map<String, long[]> t = new LinkedHashMap<>();
        for (int layer = 0; layer < 2; layer++) {
            String p = "base_model.model.model.layers." + layer + ".self_attn.q_proj.";
            t.put(p + "lora_A.weight", new long[] {r, 64});
            t.put(p + "lora_B.weight", new long[] {64, r});
        }
        return t;
    }

    private static Path folder(int configRank, String module, Map<String, long[]> tensors) throws IOException {
        Path dir = root.resolve("case-" + (counter++));
        ModelGenerator.writeAdapter(dir, ModelShape.TINY, "tiny-llama", configRank, 8, Set.of(module), 1, false);
        SafetensorsWriter.write(dir.resolve(LoraAdapter.WEIGHTS_FILE), TensorDType.F32,
                new LinkedHashMap<>(tensors), Map.of("format", "pt"), name -> () -> 0.01f);
        return dir;
    }

    private static void editConfig(Path dir, Consumer<ObjectNode> edit) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode c = (ObjectNode) json.readTree(dir.resolve(LoraAdapter.CONFIG_FILE).toFile());
        edit.accept(c);
        json.writeValue(dir.resolve(LoraAdapter.CONFIG_FILE).toFile(), c);
    }
}
