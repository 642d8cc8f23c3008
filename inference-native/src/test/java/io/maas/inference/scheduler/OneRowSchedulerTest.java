package io.maas.inference.scheduler;

import io.maas.inference.engine.GenerationListener;
import io.maas.inference.engine.GenerationRequest;
import io.maas.inference.engine.GenerationResult;
import io.maas.inference.engine.LlamaEngine;
import io.maas.inference.model.ModelGenerator;
import io.maas.inference.model.ModelShape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * A scheduler run at batch 1 (one-row steps on the lean single-sequence layer, and with
 * {@code inference.leanOneRow=false} on the batched arena path) gives exactly the greedy tokens of
 * {@link LlamaEngine#generate} alone, on the bare base and with an adapter.
 */
class OneRowSchedulerTest {

    private static final String PROMPT = "Once upon a time, in a quiet village by the sea,";

    @TempDir
    Path dir;

    @Test
    void batchOneThroughTheSchedulerGivesTheTokensOfGenerateAlone() throws Exception {
        Path model = dir.resolve("tiny-llama");
        ModelGenerator.write(model, ModelShape.TINY, 42);
        Path adapter = dir.resolve("adapter");
        ModelGenerator.writeAdapter(adapter, ModelShape.TINY, "tiny-llama", 16, 32,
                new HashSet<>(ModelGenerator.ADAPTER_MODULES), 101, false);
        try (LlamaEngine lean = load(model, adapter, true); LlamaEngine batched = load(model, adapter, false);
             BatchScheduler leanScheduler = new BatchScheduler(lean, new SchedulerConfig(4, 100_000, 16));
             BatchScheduler batchedScheduler = new BatchScheduler(batched, new SchedulerConfig(4, 100_000, 16))) {
            String baseText = null;
            for (String a : Arrays.asList(null, "a")) {
                GenerationRequest request = GenerationRequest.builder().setPrompt(PROMPT).setMaxTokens(32)
                        .optTemperature(0).optAdapter(a).build();
                GenerationResult alone = lean.generate(request);
                for (BatchScheduler scheduler : new BatchScheduler[] {leanScheduler, batchedScheduler}) {
                    GenerationResult viaScheduler = scheduler.generate(request, GenerationListener.NONE);
                    String what = (scheduler == leanScheduler ? "lean" : "batched") + " one-row steps, adapter " + a;
                    assertEquals(alone.text(), viaScheduler.text(), what);
                    assertEquals(alone.completionTokens(), viaScheduler.completionTokens(), what);
                    assertEquals(alone.finishReason(), viaScheduler.finishReason(), what);
                }
                if (a == null) {
                    baseText = alone.text();
                } else {
                    assertNotEquals(baseText, alone.text(), "the adapter should change the text");
                }
            }
        }
    }

    private static LlamaEngine load(Path model, Path adapter, boolean leanOneRow) {
        String before = System.getProperty(LlamaEngine.LEAN_ONE_ROW_PROPERTY);
        System.setProperty(LlamaEngine.LEAN_ONE_ROW_PROPERTY, Boolean.toString(leanOneRow));
        try {
            LlamaEngine engine = LlamaEngine.load(model);
            engine.loadAdapter("a", adapter);
            return engine;
        } finally {
            if (before == null) {
                System.clearProperty(LlamaEngine.LEAN_ONE_ROW_PROPERTY);
            } else {
                System.setProperty(LlamaEngine.LEAN_ONE_ROW_PROPERTY, before);
            }
        }
    }
}
