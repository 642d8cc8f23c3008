package io.maas.inference.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.maas.inference.ChatTemplateException;
import io.maas.inference.ContextLengthExceededException;
import io.maas.inference.InferenceException;
import io.maas.inference.InvalidGenerationParameterException;
import io.maas.inference.MissingChatTemplateException;
import io.maas.inference.ModelFormatException;
import io.maas.inference.UnknownAdapterException;
import io.maas.inference.lora.LoraAdapter;
import io.maas.inference.model.Checkpoint;
import io.maas.inference.model.ModelConfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Serves text completions (greedy or sampled, whole or streamed, cancellable) and renders chat prompts for one
 * Hugging Face Llama model directory, to any number of threads.
 */
public final class LlamaEngine implements AutoCloseable {

    // Each request has its own NDManager and KV cache; forward steps take turns on a bounded number of compute
    // slots so PyTorch's intra-op threads never oversubscribe the cores.

    /** Prompt tokens per forward step: attention scores grow with chunk × context, so this bounds them. */
    static final int PREFILL_CHUNK_TOKENS = 512;

    /** Resident adapters by default (override with {@code -Dinference.maxResidentAdapters} or {@link #load(Path, int)}). */
    public static final int DEFAULT_MAX_RESIDENT_ADAPTERS = Integer.getInteger("inference.maxResidentAdapters", 16);
    /**
     * Whether a decode step with one sequence runs the single-sequence forward (the lean layer over the sequence's
     * arena slot, docs/adr/0023) rather than the batched path with one row (default true; false is for A/B
     * measurement), read when an engine loads.
     */
    public static final String LEAN_ONE_ROW_PROPERTY = "inference.leanOneRow";

    /** No byte bound on resident adapters unless one is given to {@link #load(Path, int, long)}. */
    public static final long UNBOUNDED_ADAPTER_BYTES = Long.MAX_VALUE;

    static {
        PyTorchSetup.apply();
    }

    /**
     * Applies the process-wide native defaults (DJL offline, PyTorch threads, bounded OpenMP spinning) now. They must
     * be in place before any DJL engine loads PyTorch's native library, which other DJL engines (OnnxRuntime) also do:
     * call this first in a process that loads those too. Idempotent; loading a model calls it as well.
     */
    public static void applyNativeDefaults() {
        PyTorchSetup.apply();
    }

    /** The native threading in force, for benchmark and start-up lines: intra-op threads and how OpenMP waits. */
    public static String nativeThreading() {
        PyTorchSetup.apply();
        return "PyTorch intra-op threads " + System.getProperty(PyTorchSetup.THREADS_PROPERTY) + ", OMP_WAIT_POLICY "
                + PyTorchSetup.processEnvironment(PyTorchSetup.OMP_WAIT_POLICY) + ", GOMP_SPINCOUNT "
                + PyTorchSetup.processEnvironment(PyTorchSetup.GOMP_SPINCOUNT);
    }

    private final String modelId;
    private final ModelConfig config;
    private final ModelTokenizer tokenizer;
    /** Null when loaded with {@link #loadMetadata}: no weights mapped, nothing native beyond the tokenizer. */
    private final LlamaModel model;
    private final Optional<ChatTemplate> chatTemplate;
    private final Set<Integer> eosTokenIds;
    /** Ids the model may emit: logits rows beyond the tokenizer's vocabulary have no text (padded embeddings). */
    private final int decodableVocabSize;
    private final int computeSlots;
    private final Semaphore compute;
    private final boolean leanOneRow;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final int maxResidentAdapters;
    private final long maxResidentAdapterBytes;
    /** Sum of {@link LoraAdapter#sizeBytes()} over {@link #adapters}; guarded by {@link #adapters}. */
    private long residentAdapterBytes;
    /** Resident adapters in least-recently-used-first order; guarded by itself. */
    private final LinkedHashMap<String, AdapterEntry> adapters = new LinkedHashMap<>(16, 0.75f, true);

    /** A resident (or unloaded but still used) adapter and its requests in flight; guarded by {@link #adapters}. */
    private static final class AdapterEntry {
        final LoraAdapter adapter;
        int users;
        boolean removed;

        AdapterEntry(LoraAdapter adapter) {
            this.adapter = adapter;
        }
    }

    private LlamaEngine(String modelId, ModelConfig config, ModelTokenizer tokenizer, LlamaModel model,
                        Optional<ChatTemplate> chatTemplate, int maxResidentAdapters, long maxResidentAdapterBytes) {
        this.maxResidentAdapters = maxResidentAdapters;
        this.maxResidentAdapterBytes = maxResidentAdapterBytes;
        this.modelId = modelId;
        this.config = config;
        this.tokenizer = tokenizer;
        this.model = model;
        this.chatTemplate = chatTemplate;
        this.eosTokenIds = Set.copyOf(config.eosTokenIds());
        this.decodableVocabSize = Math.min(config.vocabSize(), tokenizer.vocabSize());
        // Steps that may run at once: a model on one intra-op thread (ADR 0024) can run one per core.
        this.computeSlots = model == null ? PyTorchSetup.computeSlots()
                : Math.max(1, PyTorchSetup.cores() / model.computeThreads());
        this.compute = new Semaphore(computeSlots, true); // fair: concurrent requests advance token by token
        this.leanOneRow = Boolean.parseBoolean(System.getProperty(LEAN_ONE_ROW_PROPERTY, "true"));
    }

    /**
     * Loads a model directory (config.json, tokenizer.json, model.safetensors or an index with shards, optionally
     * tokenizer_config.json or chat_template.jinja for chats); weights are memory-mapped, not read. Bad or
     * inconsistent files raise {@link ModelFormatException} naming file and tensor.
     */
    public static LlamaEngine load(Path modelDir) {
        return load(modelDir, DEFAULT_MAX_RESIDENT_ADAPTERS);
    }

    /** {@link #load(Path)} keeping at most {@code maxResidentAdapters} LoRA adapters resident (LRU). */
    public static LlamaEngine load(Path modelDir, int maxResidentAdapters) {
        return load(modelDir, maxResidentAdapters, UNBOUNDED_ADAPTER_BYTES);
    }

    /**
     * {@link #load(Path)} keeping at most {@code maxResidentAdapters} LoRA adapters, together at most
     * {@code maxResidentAdapterBytes} of adapter matrices, resident (LRU).
     */
    public static LlamaEngine load(Path modelDir, int maxResidentAdapters, long maxResidentAdapterBytes) {
        if (maxResidentAdapters < 1) {
            throw new IllegalArgumentException("maxResidentAdapters must be at least 1, was " + maxResidentAdapters);
        }
        if (maxResidentAdapterBytes < 1) {
            throw new IllegalArgumentException("maxResidentAdapterBytes must be positive, was "
                    + maxResidentAdapterBytes);
        }
        Path dir = modelDir.toAbsolutePath().normalize();
        if (!Files.isDirectory(dir)) {
            throw new ModelFormatException(dir + ": not a directory");
        }
        ModelConfig config = ModelConfig.read(dir);
        Optional<ChatTemplate> chatTemplate = ChatTemplate.load(dir);
        ModelTokenizer tokenizer = ModelTokenizer.load(dir);
        try (Checkpoint checkpoint = Checkpoint.open(dir, config)) {
            // Closing the checkpoint closes its file channels; the mapped buffers stay valid.
            LlamaModel model = LlamaModel.load(config, checkpoint);
            return new LlamaEngine(dir.getFileName().toString(), config, tokenizer, model, chatTemplate,
                    maxResidentAdapters, maxResidentAdapterBytes);
        } catch (RuntimeException | Error e) {
            tokenizer.close();
            throw e;
        }
    }

    /**
     * Only what a gateway needs to route and meter without generating: config.json (context length, special
     * tokens), the tokenizer and the chat template. The weights' safetensors headers are checked against the config
     * as {@link #load} checks them (names, shapes, dtypes), so a model a worker would refuse is refused here too, but
     * no weights are mapped and no {@code NDManager} (no PyTorch) is created; {@link #countTokens}, {@link #renderChat}, {@link #promptTokens} and
     * {@link #validateAdapter} work, generation and adapter loading raise {@link InferenceException}.
     */
    public static LlamaEngine loadMetadata(Path modelDir) {
        Path dir = modelDir.toAbsolutePath().normalize();
        if (!Files.isDirectory(dir)) {
            throw new ModelFormatException(dir + ": not a directory");
        }
        ModelConfig config = ModelConfig.read(dir);
        Optional<ChatTemplate> chatTemplate = ChatTemplate.load(dir);
        Checkpoint.open(dir, config).close(); // headers only: reads them, maps nothing
        ModelTokenizer tokenizer = ModelTokenizer.load(dir);
        return new LlamaEngine(dir.getFileName().toString(), config, tokenizer, null, chatTemplate,
                DEFAULT_MAX_RESIDENT_ADAPTERS, UNBOUNDED_ADAPTER_BYTES);
    }

    /** Whether this engine was loaded by {@link #loadMetadata} (it cannot generate). */
    public boolean metadataOnly() {
        return model == null;
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
        return encode(text).length;
    }

    /**
     * The token ids of {@code text} as a prompt encodes them (no special tokens added): a caller that needs the
     * count first (admission) passes them on to {@link #promptTokens(GenerationRequest, int[])} so the prompt is
     * tokenized once per request.
     */
    public int[] encode(String text) {
        ensureOpen();
        return tokenizer.encode(text);
    }

    /** Whether {@link #renderChat} can work: the model directory defines a chat template. */
    public boolean hasChatTemplate() {
        return chatTemplate.isPresent();
    }

    /**
     * The prompt for a conversation, rendered with the model's chat template as Hugging Face's
     * {@code apply_chat_template(messages, add_generation_prompt=True)} does; special-token strings in it (e.g.
     * {@code <|im_start|>}) encode as their single ids. Raises {@link MissingChatTemplateException} when the model
     * has no template, {@link ChatTemplateException} when the template rejects the conversation or fails, and
     * {@link InvalidGenerationParameterException} ({@code messages}) for an empty list.
     */
    public String renderChat(List<ChatMessage> messages) {
        ensureOpen();
        ChatTemplate template = chatTemplate.orElseThrow(() -> new MissingChatTemplateException("model " + modelId
                + " has no chat template (no chat_template in tokenizer_config.json, no chat_template.jinja);"
                + " send a completion prompt instead"));
        return template.render(messages);
    }

    /** {@link #generate(GenerationRequest, GenerationListener)} without streaming or cancellation. */
    public GenerationResult generate(GenerationRequest request) {
        return generate(request, GenerationListener.NONE);
    }

    /**
     * Completes the prompt, streaming text to {@code listener} as it becomes safe and stopping early if the
     * listener cancels. {@code promptTokens} counts what the model read (the BOS token when the prompt is empty);
     * {@code completionTokens} counts generated tokens, including a final end-of-sequence token (left out of the
     * text) and the tokens that completed a stop string (cut from the text with everything after it). A request
     * cancelled between steps ends with {@link FinishReason#CANCELLED}, its native memory freed, the tokens so far
     * counted. Exceptions from the listener end generation, free its memory and propagate.
     */
    public GenerationResult generate(GenerationRequest request, GenerationListener listener) {
        Sequence sequence = start(request, listener);
        while (!sequence.finished()) {
            // Asked before queueing for a slot, so listener code never runs while a slot is held.
            if (sequence.cancelRequested()) {
                sequence.cancel();
            } else if (sequence.prefilling()) {
                prefillChunk(sequence);
            } else {
                decode(List.of(sequence));
            }
        }
        if (sequence.failure() != null) {
            throw sequence.failure();
        }
        return sequence.result();
    }

    /**
     * Prepares {@code request} for step-wise generation (by {@link #generate} or a batch scheduler): tokenizes
     * the prompt, checks the context length, takes a lease on its adapter, and allocates its request-scoped
     * {@code NDManager} and a KV cache for prompt + max_tokens. Throws as {@link #generate} does for a request
     * that cannot start; the caller must drive the returned sequence to its end (or cancel it) to free it.
     */
    public Sequence start(GenerationRequest request, GenerationListener listener) {
        return start(request, listener, promptTokens(request), System.nanoTime());
    }

    /**
     * The token ids {@code request}'s prompt runs as (BOS alone for an empty prompt), checked against the context
     * length: a scheduler calls this on the submitting thread to know a request's KV reservation before admitting
     * it.
     */
    public int[] promptTokens(GenerationRequest request) {
        return promptTokens(request, null);
    }

    /**
     * {@link #promptTokens(GenerationRequest)} with the prompt already encoded by {@link #encode} of this engine
     * ({@code encoded} must be {@code encode(request.prompt())}; never modified), or null to encode it here.
     */
    public int[] promptTokens(GenerationRequest request, int[] encoded) {
        Objects.requireNonNull(request, "request");
        ensureOpen();
        int[] prompt = encoded != null ? encoded : tokenizer.encode(request.prompt());
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
        return prompt;
    }

    /** {@link #start(GenerationRequest, GenerationListener)} with the prompt from {@link #promptTokens}. */
    public Sequence start(GenerationRequest request, GenerationListener listener, int[] prompt, long startNanos) {
        Objects.requireNonNull(listener, "listener");
        ensureOpen();
        ensureWeights();
        long needed = (long) prompt.length + request.maxTokens();
        AdapterLease lease = request.adapter().map(id -> new AdapterLease(acquireAdapter(id))).orElse(null);
        NDManager requestManager = null;
        try {
            Sampler sampler = new Sampler(request, decodableVocabSize);
            IncrementalDetokenizer detokenizer = new IncrementalDetokenizer(tokenizer, request.stop(),
                    request.maxTokens());
            requestManager = model.newRequestManager();
            KvCache cache = model.newCache(requestManager, (int) needed);
            return new Sequence(this, request, listener, startNanos, prompt, (int) needed, lease, sampler,
                    detokenizer, requestManager, cache);
        } catch (RuntimeException | Error e) {
            if (requestManager != null) {
                requestManager.close();
            }
            if (lease != null) {
                lease.close();
            }
            throw e;
        }
    }

    /**
     * Runs the next chunk (at most {@value #PREFILL_CHUNK_TOKENS} tokens) of a prefilling sequence's prompt in a
     * compute slot; after the last chunk the first token is sampled and streamed. A failure ends the sequence.
     */
    public void prefillChunk(Sequence sequence) {
        if (!sequence.prefilling()) {
            throw new IllegalStateException("sequence is not prefilling");
        }
        int start = sequence.prefilled;
        int end = Math.min(sequence.prompt.length, start + PREFILL_CHUNK_TOKENS);
        boolean last = end == sequence.prompt.length;
        float[] logits;
        try {
            acquireCompute();
            try {
                ensureOpen();
                try (NDManager stepScope = sequence.manager.newSubManager()) {
                    NDArray out = model.forward(stepScope, sequence.cache,
                            Arrays.copyOfRange(sequence.prompt, start, end), false, sequence.adapter);
                    // The whole row in one copy; the sampler only looks at ids below decodableVocabSize.
                    logits = last ? out.toFloatArray() : null;
                }
            } finally {
                compute.release();
            }
        } catch (RuntimeException e) {
            sequence.fail(e);
            return;
        }
        sequence.prefilled = end;
        if (last) {
            sequence.accept(logits);
        }
    }

    /**
     * One decode step for every decoding sequence in {@code batch} (any mix of adapters and the bare base) as one
     * batched forward pass in one compute slot; each then samples and streams its token. A failed step ends every
     * sequence in it.
     */
    public void decode(List<Sequence> batch) {
        List<Sequence> rows = new ArrayList<>(batch.size());
        boolean anyAdapter = false;
        for (Sequence s : batch) {
            if (s.decoding()) {
                rows.add(s);
                anyAdapter |= s.adapter != null;
            }
        }
        if (rows.isEmpty()) {
            return;
        }
        // Slot order: the rows' keys and values are then one view of the shared arena, not a gather.
        KvCache[] order = new KvCache[rows.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = rows.get(i).cache;
        }
        List<Sequence> sorted = new ArrayList<>(rows.size());
        for (int i : LlamaModel.slotOrder(order)) {
            sorted.add(rows.get(i));
        }
        rows = sorted;
        int b = rows.size();
        float[] flat;
        try {
            acquireCompute();
            try {
                ensureOpen();
                if ((b == 1 && leanOneRow) || !anyAdapter) {
                    model.releaseAdapterStack(); // the stacked copies of the last mixed batch are not needed now
                }
                if (b == 1 && leanOneRow) {
                    Sequence s = rows.get(0);
                    try (NDManager stepScope = s.manager.newSubManager()) {
                        flat = model.forward(stepScope, s.cache, new int[] {s.nextToken}, false, s.adapter)
                                .toFloatArray();
                    }
                } else {
                    KvCache[] caches = new KvCache[b];
                    int[] tokens = new int[b];
                    LoraAdapter[] adapters = new LoraAdapter[b];
                    for (int i = 0; i < b; i++) {
                        Sequence s = rows.get(i);
                        caches[i] = s.cache;
                        tokens[i] = s.nextToken;
                        adapters[i] = s.adapter;
                    }
                    try (NDManager stepScope = model.newRequestManager()) {
                        flat = model.forwardBatch(stepScope, caches, tokens, adapters).toFloatArray();
                    }
                }
            } finally {
                compute.release();
            }
        } catch (RuntimeException e) {
            rows.forEach(s -> s.fail(e));
            return;
        }
        int vocab = config.vocabSize();
        for (int i = 0; i < b; i++) {
            rows.get(i).accept(b == 1 ? flat : Arrays.copyOfRange(flat, i * vocab, (i + 1) * vocab));
        }
    }

    private void acquireCompute() {
        try {
            compute.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InferenceException("interrupted while waiting for a compute slot", e);
        }
    }

    boolean isEos(int token) {
        return eosTokenIds.contains(token);
    }

    int decodableVocabSize() {
        return decodableVocabSize;
    }

    /** A request's hold on a resident adapter: an unload or eviction waits until every lease is closed. */
    final class AdapterLease implements AutoCloseable {
        private final AdapterEntry entry;
        private boolean closed;

        AdapterLease(AdapterEntry entry) {
            this.entry = entry;
        }

        LoraAdapter adapter() {
            return entry.adapter;
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                releaseAdapter(entry);
            }
        }
    }

    /** Test and tooling access to the forward pass. */
    LlamaModel model() {
        return model;
    }

    /** Intra-op threads each forward step of this model runs on (docs/adr/0024); 0 without weights. */
    public int computeThreads() {
        return model == null ? 0 : model.computeThreads();
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
            synchronized (adapters) {
                for (AdapterEntry e : adapters.values()) {
                    e.removed = true;
                    e.adapter.close();
                }
                adapters.clear();
            }
            if (model != null) {
                model.close();
            }
            tokenizer.close();
        } finally {
            compute.release(computeSlots);
        }
    }

    /**
     * Loads the PEFT LoRA adapter in {@code dir} (adapter_config.json + adapter_model.safetensors, memory-mapped),
     * validated against this model, under {@code id} for {@link GenerationRequest.Builder#optAdapter}. When more than
     * the configured number of adapters would be resident, the least recently used one that no request is using is
     * unloaded; if all are in use the load is refused. Raises {@link ModelFormatException} naming file and tensor
     * for an invalid adapter, {@link InferenceException} for an id already loaded.
     */
    public LoraAdapter loadAdapter(String id, Path dir) {
        Objects.requireNonNull(dir, "dir");
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException("adapter id must not be blank");
        }
        ensureOpen();
        ensureWeights();
        synchronized (adapters) {
            if (adapters.containsKey(id)) {
                throw new InferenceException("adapter " + id + " is already loaded on model " + modelId);
            }
        }
        // Reading and validating happen outside the lock: other requests keep acquiring adapters meanwhile.
        LoraAdapter adapter = LoraAdapter.load(dir, config, model.newAdapterManager());
        List<LoraAdapter> evicted = new ArrayList<>();
        try {
            synchronized (adapters) {
                if (closed.get()) {
                    throw new InferenceException("engine for model " + modelId + " is closed");
                }
                if (adapters.containsKey(id)) {
                    throw new InferenceException("adapter " + id + " is already loaded on model " + modelId);
                }
                if (adapter.sizeBytes() > maxResidentAdapterBytes) {
                    throw new InferenceException("cannot load adapter " + id + ": its " + adapter.sizeBytes()
                            + " bytes exceed the resident adapter limit of " + maxResidentAdapterBytes + " bytes");
                }
                // Least recently used first; adapters in use are skipped, never evicted.
                int count = adapters.size();
                long bytes = residentAdapterBytes;
                List<String> victims = new ArrayList<>();
                for (Iterator<Map.Entry<String, AdapterEntry>> it = adapters.entrySet().iterator();
                     it.hasNext() && (count + 1 > maxResidentAdapters
                             || bytes + adapter.sizeBytes() > maxResidentAdapterBytes); ) {
                    Map.Entry<String, AdapterEntry> e = it.next();
                    if (e.getValue().users == 0) {
                        victims.add(e.getKey());
                        count--;
                        bytes -= e.getValue().adapter.sizeBytes();
                    }
                }
                if (count + 1 > maxResidentAdapters || bytes + adapter.sizeBytes() > maxResidentAdapterBytes) {
                    throw new InferenceException("cannot load adapter " + id + ": the " + adapters.size()
                            + " resident adapters (" + residentAdapterBytes + " bytes; the limits are "
                            + maxResidentAdapters + " adapters and " + maxResidentAdapterBytes
                            + " bytes) are in use");
                }
                for (String victim : victims) {
                    AdapterEntry e = adapters.remove(victim);
                    e.removed = true;
                    residentAdapterBytes -= e.adapter.sizeBytes();
                    evicted.add(e.adapter);
                }
                residentAdapterBytes += adapter.sizeBytes();
                adapters.put(id, new AdapterEntry(adapter));
            }
        } catch (RuntimeException e) {
            adapter.close();
            throw e;
        }
        evicted.forEach(LoraAdapter::close);
        return adapter;
    }

    /**
     * Validates the PEFT adapter in {@code dir} against this model (target modules, shapes, rank, dtypes) exactly as
     * {@link #loadAdapter} would, without making it resident: the marketplace checks an upload before storing it.
     * Raises {@link ModelFormatException} naming the file and tensor that do not fit.
     */
    public void validateAdapter(Path dir) {
        Objects.requireNonNull(dir, "dir");
        ensureOpen();
        // Header and config only: the same checks as loadAdapter without mapping, so an engine without weights
        // (a gateway) accepts and refuses exactly what a worker would.
        LoraAdapter.validate(dir, config);
    }

    /**
     * Unloads adapter {@code id}: new requests no longer find it; requests already using it finish with it, and it
     * is closed when the last of them ends. Returns false when no such adapter is loaded.
     */
    public boolean unloadAdapter(String id) {
        AdapterEntry e;
        synchronized (adapters) {
            e = adapters.remove(id);
            if (e == null) {
                return false;
            }
            e.removed = true;
            residentAdapterBytes -= e.adapter.sizeBytes();
            if (e.users > 0) {
                return true; // the last user closes it
            }
        }
        e.adapter.close();
        return true;
    }

    /** Ids of the resident adapters, least recently used first. */
    public Set<String> adapterIds() {
        synchronized (adapters) {
            return java.util.Collections.unmodifiableSet(new LinkedHashSet<>(adapters.keySet()));
        }
    }

    /** The resident adapter {@code id}, if loaded (a look-up counts as a use for the LRU order). */
    public Optional<LoraAdapter> adapter(String id) {
        synchronized (adapters) {
            AdapterEntry e = adapters.get(id);
            return e == null ? Optional.empty() : Optional.of(e.adapter);
        }
    }

    public int maxResidentAdapters() {
        return maxResidentAdapters;
    }

    public long maxResidentAdapterBytes() {
        return maxResidentAdapterBytes;
    }

    /** Bytes of adapter matrices currently resident (in-flight users of unloaded adapters not counted). */
    public long residentAdapterBytes() {
        synchronized (adapters) {
            return residentAdapterBytes;
        }
    }

    private AdapterEntry acquireAdapter(String id) {
        synchronized (adapters) {
            AdapterEntry e = adapters.get(id); // marks it most recently used
            if (e == null) {
                throw new UnknownAdapterException(id, "model " + modelId + " has no adapter " + id
                        + " loaded (resident: " + adapters.keySet() + ")");
            }
            e.users++;
            return e;
        }
    }

    private void releaseAdapter(AdapterEntry e) {
        synchronized (adapters) {
            e.users--;
            if (!(e.removed && e.users == 0)) {
                return;
            }
        }
        e.adapter.close();
    }

    @Override
    public String toString() {
        return "LlamaEngine[" + modelId + "]";
    }

    private void ensureWeights() {
        if (model == null) {
            throw new InferenceException("model " + modelId + " is loaded without weights (metadata only, role"
                    + " gateway): it cannot generate here");
        }
    }

    private void ensureOpen() {
        if (closed.get()) {
            throw new InferenceException("engine for model " + modelId + " is closed");
        }
    }
}
