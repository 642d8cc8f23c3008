package io.maas.inference.engine;

import io.maas.inference.model.ModelGenerator;
import io.maas.inference.model.ModelShape;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Batched decode over the shared KV arena: rows in scattered slots (a request joining a finished one's slot), an
 * arena that grows while sequences are live, and rows whose caches lie outside the arena all give every request the
 * tokens it gets alone, with different adapters and the bare base in one batch.
 */
class KvArenaBatchTest {

    private static final Set<String> ALL = new HashSet<>(ModelGenerator.ADAPTER_MODULES);
    private static final List<String> PROMPTS = List.of("Once upon a time, in a quiet village by the sea,",
            "The meeting started at ten", "A list of fruit: apples, pears,", "In the year 1900 the city",
            "She opened the door and", "Numbers: one, two, three,", "The weather today is");

    @TempDir
    static Path root;
    static Path model;
    static final List<Path> adapters = new ArrayList<>();

    @BeforeAll
    static void write() throws Exception {
        model = root.resolve("tiny-llama");
        ModelGenerator.write(model, ModelShape.TINY, 7);
        for (int i = 0; i < 4; i++) {
            Path dir = root.resolve("adapter-" + i);
            // Different ranks: the slot stacks pad the smaller ones.
            ModelGenerator.writeAdapter(dir, ModelShape.TINY, "tiny-llama", i % 2 == 0 ? 16 : 8, 32, ALL, 300 + i,
                    false);
            adapters.add(dir);
        }
    }

    @AfterAll
    static void clear() {
        System.clearProperty(LlamaModel.KV_ARENA_SLOTS_PROPERTY);
    }

    private static GenerationRequest greedy(int prompt, String adapter, int maxTokens) {
        return GenerationRequest.builder().setPrompt(PROMPTS.get(prompt)).setMaxTokens(maxTokens).optTemperature(0)
                .optAdapter(adapter).build();
    }

    @Test
    void scatteredSlotsGrowthAndJoinsGiveSoloTokens() {
        scenario(null);
    }

    @Test
    void cachesOutsideTheArenaAttendRowByRowAndGiveSoloTokens() {
        scenario("2"); // two arena slots: later sequences get caches of their own, in the same batches
    }

    private void scenario(String arenaSlots) {
        if (arenaSlots != null) {
            System.setProperty(LlamaModel.KV_ARENA_SLOTS_PROPERTY, arenaSlots);
        }
        try (LlamaEngine engine = LlamaEngine.load(model, 5)) {
            System.clearProperty(LlamaModel.KV_ARENA_SLOTS_PROPERTY);
            for (int i = 0; i < adapters.size(); i++) {
                engine.loadAdapter("a" + i, adapters.get(i));
            }
            List<GenerationRequest> first = List.of(greedy(0, "a0", 6), greedy(1, null, 30), greedy(2, "a1", 3),
                    greedy(3, "a2", 30), greedy(0, null, 30));
            // Joiners: they take the slots the short ones free, so later steps read scattered slots.
            List<GenerationRequest> joiners = List.of(greedy(4, "a3", 20), greedy(5, "a1", 12),
                    greedy(6, null, 20), greedy(2, "a0", 8), greedy(1, "a3", 20));
            List<GenerationRequest> all = new ArrayList<>(first);
            all.addAll(joiners);
            List<String> solo = new ArrayList<>();
            for (GenerationRequest r : all) {
                solo.add(engine.generate(r).text());
            }
            assertTrue(!solo.get(0).equals(solo.get(4)), "adapter a0 should change the base's text");

            List<Sequence> live = new ArrayList<>();
            List<Sequence> started = new ArrayList<>();
            for (GenerationRequest r : first) {
                Sequence s = engine.start(r, GenerationListener.NONE);
                live.add(s);
                started.add(s);
            }
            int step = 0;
            int widest = 0;
            while (!live.isEmpty()) {
                if (step == 8) {
                    for (GenerationRequest r : joiners) {
                        Sequence s = engine.start(r, GenerationListener.NONE);
                        live.add(s);
                        started.add(s);
                    }
                }
                for (Sequence s : live) {
                    while (s.prefilling()) {
                        engine.prefillChunk(s);
                    }
                }
                engine.decode(live);
                widest = Math.max(widest, live.size());
                live.removeIf(Sequence::finished);
                step++;
            }
            assertTrue(widest >= 8, "the joiners should have run alongside the long first requests");
            for (int i = 0; i < all.size(); i++) {
                Sequence s = started.get(i);
                assertEquals(null, s.failure(), "request " + i);
                assertEquals(solo.get(i), s.result().text(), "request " + i);
            }
        } finally {
            System.clearProperty(LlamaModel.KV_ARENA_SLOTS_PROPERTY);
        }
    }
}
