package io.maas.inference.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import io.maas.inference.ContextLengthExceededException;
import io.maas.inference.InferenceException;
import io.maas.inference.ModelFormatException;
import io.maas.inference.model.Checkpoint;
import io.maas.inference.model.ModelConfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;

/** Serves greedy text completions from one Hugging Face Llama model directory to any number of threads. */
public final class LlamaEngine implements AutoCloseable {

    // Each request has its own NDManager and KV cache; forward steps take turns on a bounded number of compute
    // slots so PyTorch's intra-op threads never oversubscribe the cores.

    /** Prompt tokens per forward step: attention scores grow with chunk × context, so this bounds them. */
    static final int PREFILL_CHUNK_TOKENS = 512;

    static {
        PyTorchSetup.apply();
    }

    private final String modelId;
    private final ModelConfig config;
    private final ModelTokenizer tokenizer;
    private final LlamaModel model;
    private final Set<Integer> eosTokenIds;
    /** Ids the model may emit: logits rows beyond the tokenizer's vocabulary have no text (padded embeddings). */
    private final int decodableVocabSize;
    private final int computeSlots;
    private final Semaphore compute;
    private final AtomicBoolean closed = new AtomicBoolean();

    private LlamaEngine(String modelId, ModelConfig config, ModelTokenizer tokenizer, LlamaModel model) {
        this.modelId = modelId;
        this.config = config;
        this.tokenizer = tokenizer;
        this.model = model;
        this.eosTokenIds = Set.copyOf(config.eosTokenIds());
        this.decodableVocabSize = Math.min(config.vocabSize(), tokenizer.vocabSize());
        this.computeSlots = PyTorchSetup.computeSlots();
        this.compute = new Semaphore(computeSlots, true); // fair: concurrent requests advance token by token
    }

    /**
     * Loads a model directory (config.json, tokenizer.json, model.safetensors or an index with shards); weights are
     * memory-mapped, not read. Bad or inconsistent files raise {@link ModelFormatException} naming file and tensor.
     */
    public static LlamaEngine load(Path modelDir) {
        Path dir = modelDir.toAbsolutePath().normalize();
        if (!Files.isDirectory(dir)) {
            throw new ModelFormatException(dir + ": not a directory");
        }
        ModelConfig config = ModelConfig.read(dir);
        ModelTokenizer tokenizer = ModelTokenizer.load(dir);
        try (Checkpoint checkpoint = Checkpoint.open(dir, config)) {
            // Closing the checkpoint closes its file channels; the mapped buffers stay valid.
            LlamaModel model = LlamaModel.load(config, checkpoint);
            return new LlamaEngine(dir.getFileName().toString(), config, tokenizer, model);
        } catch (RuntimeException | Error e) {
            tokenizer.close();
            throw e;
        }
    }

    /** The model directory's folder name. */
    public String modelId() {
        return modelId;
    }

    /** Prompt plus completion tokens must fit in this (max_position_embeddings). */
    public int maxContextTokens() {
        return config.maxPositionEmbeddings();
    }

    /** Tokens of {@code text} as a prompt would encode (no special tokens added). */
    public int countTokens(String text) {
        ensureOpen();
        return tokenizer.encode(text).length;
    }

    /**
     * Greedy completion of the prompt. {@code promptTokens} counts what the model read (the BOS token when the
     * prompt is empty); {@code completionTokens} counts generated tokens including a final end-of-sequence token,
     * which the returned text leaves out.
     */
    public GenerationResult generate(GenerationRequest request) {
        ensureOpen();
        int[] prompt = tokenizer.encode(request.prompt());
        if (prompt.length == 0) {
            if (config.bosTokenId().isEmpty()) {
                throw new InferenceException("the prompt is empty and model " + modelId
                        + " defines no bos_token_id to start from");
            }
            prompt = new int[] {config.bosTokenId().getAsInt()};
        }
        long needed = (long) prompt.length + request.maxTokens();
        if (needed > maxContextTokens()) {
            throw new ContextLengthExceededException(prompt.length, request.maxTokens(), maxContextTokens());
        }
        int[] generated = new int[request.maxTokens()];
        int count = 0;
        FinishReason finish = FinishReason.LENGTH;
        try (NDManager requestManager = model.newRequestManager();
             KvCache cache = model.newCache(requestManager, (int) needed)) {
            int next = prefill(requestManager, cache, prompt);
            while (true) {
                generated[count++] = next;
                if (eosTokenIds.contains(next)) {
                    finish = FinishReason.STOP;
                    break;
                }
                if (count == request.maxTokens()) {
                    break;
                }
                next = step(requestManager, cache, new int[] {next});
            }
        }
        int textTokens = finish == FinishReason.STOP ? count - 1 : count;
        String text = tokenizer.decode(Arrays.copyOf(generated, textTokens));
        return new GenerationResult(text, prompt.length, count, finish);
    }

    /** Test and tooling access to the forward pass. */
    LlamaModel model() {
        return model;
    }

    ModelTokenizer tokenizer() {
        return tokenizer;
    }

    /** Closes the model after in-flight forward steps finish; later calls fail with {@link InferenceException}. */
    @Override
    public void close() {
        if (closed.getAndSet(true)) {
            return;
        }
        compute.acquireUninterruptibly(computeSlots);
        try {
            model.close();
            tokenizer.close();
        } finally {
            compute.release(computeSlots);
        }
    }

    @Override
    public String toString() {
        return "LlamaEngine[" + modelId + "]";
    }

    /** Runs the prompt in chunks, bounding attention memory and letting other requests' steps interleave. */
    private int prefill(NDManager requestManager, KvCache cache, int[] prompt) {
        int next = -1;
        for (int start = 0; start < prompt.length; start += PREFILL_CHUNK_TOKENS) {
            int end = Math.min(prompt.length, start + PREFILL_CHUNK_TOKENS);
            next = step(requestManager, cache, Arrays.copyOfRange(prompt, start, end));
        }
        return next;
    }

    /** One forward step in a compute slot; returns the greedy next token. */
    private int step(NDManager requestManager, KvCache cache, int[] tokenIds) {
        try {
            compute.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InferenceException("interrupted while waiting for a compute slot", e);
        }
        try {
            ensureOpen();
            try (NDManager stepScope = requestManager.newSubManager()) {
                NDArray logits = model.forward(stepScope, cache, tokenIds, false);
                // argmax over decodable ids; ties go to the lowest id (PyTorch's argmax rule)
                return (int) logits.get(new NDIndex(":, :{}", decodableVocabSize)).argMax().getLong();
            }
        } finally {
            compute.release();
        }
    }

    private void ensureOpen() {
        if (closed.get()) {
            throw new InferenceException("engine for model " + modelId + " is closed");
        }
    }
}
