package io.maas.inference.engine;

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

    static {
        PyTorchSetup.apply();
    }

    private final String modelId;
    private final ModelConfig config;
    private final ModelTokenizer tokenizer;
    private final LlamaModel model;
    private final Optional<ChatTemplate> chatTemplate;
    private final Set<Integer> eosTokenIds;
    /** Ids the model may emit: logits rows beyond the tokenizer's vocabulary have no text (padded embeddings). */
    private final int decodableVocabSize;
    private final int computeSlots;
    private final Semaphore compute;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final int maxResidentAdapters;
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
                        Optional<ChatTemplate> chatTemplate, int maxResidentAdapters) {
        this.maxResidentAdapters = maxResidentAdapters;
        this.modelId = modelId;
        this.config = config;
        this.tokenizer = tokenizer;
        this.model = model;
        this.chatTemplate = chatTemplate;
        this.eosTokenIds = Set.copyOf(config.eosTokenIds());
        this.decodableVocabSize = Math.min(config.vocabSize(), tokenizer.vocabSize());
        this.computeSlots = PyTorchSetup.computeSlots();
        this.compute = new Semaphore(computeSlots, true); // fair: concurrent requests advance token by token
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
        if (maxResidentAdapters < 1) {
            throw new IllegalArgumentException("maxResidentAdapters must be at least 1, was " + maxResidentAdapters);
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
                    maxResidentAdapters);
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
        long startNanos = System.nanoTime();
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(listener, "listener");
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
        AdapterEntry adapterEntry = request.adapter().map(this::acquireAdapter).orElse(null);
        try {
            return generate(request, listener, startNanos, prompt, needed,
                    adapterEntry == null ? null : adapterEntry.adapter);
        } finally {
            if (adapterEntry != null) {
                releaseAdapter(adapterEntry);
            }
        }
    }

    private GenerationResult generate(GenerationRequest request, GenerationListener listener, long startNanos,
                                      int[] prompt, long needed, LoraAdapter adapter) {
        Sampler sampler = new Sampler(request, decodableVocabSize);
        IncrementalDetokenizer detokenizer = new IncrementalDetokenizer(tokenizer, request.stop(),
                request.maxTokens());
        Deltas deltas = new Deltas(listener);
        int count = 0;
        long timeToFirstTokenMs = -1;
        FinishReason finish;
        try (NDManager requestManager = model.newRequestManager();
             KvCache cache = model.newCache(requestManager, (int) needed)) {
            float[] logits = prefill(requestManager, cache, prompt, listener, adapter);
            while (true) {
                if (logits == null) {
                    finish = FinishReason.CANCELLED;
                    break;
                }
                int next = sampler.sample(logits);
                count++;
                if (count == 1) {
                    timeToFirstTokenMs = (System.nanoTime() - startNanos) / 1_000_000;
                }
                if (eosTokenIds.contains(next)) {
                    finish = FinishReason.STOP;
                    break;
                }
                if (request.logprobs()) {
                    deltas.logprobs.add(Logprobs.of(logits, decodableVocabSize, next, request.topLogprobs(),
                            tokenizer::tokenText));
                }
                deltas.send(detokenizer.accept(next), false);
                if (detokenizer.stopped()) {
                    finish = FinishReason.STOP;
                    break;
                }
                if (count == request.maxTokens()) {
                    finish = FinishReason.LENGTH;
                    break;
                }
                logits = step(requestManager, cache, new int[] {next}, listener, adapter);
            }
        }
        deltas.send(detokenizer.finish(), true);
        return new GenerationResult(detokenizer.text(), prompt.length, count, finish, deltas.logprobs,
                timeToFirstTokenMs);
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
            synchronized (adapters) {
                for (AdapterEntry e : adapters.values()) {
                    e.removed = true;
                    e.adapter.close();
                }
                adapters.clear();
            }
            model.close();
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
                int excess = adapters.size() + 1 - maxResidentAdapters;
                List<String> victims = new ArrayList<>();
                for (Iterator<Map.Entry<String, AdapterEntry>> it = adapters.entrySet().iterator();
                     it.hasNext() && victims.size() < excess; ) {
                    Map.Entry<String, AdapterEntry> e = it.next();
                    if (e.getValue().users == 0) {
                        victims.add(e.getKey());
                    }
                }
                if (victims.size() < excess) {
                    throw new InferenceException("cannot load adapter " + id + ": all " + adapters.size()
                            + " resident adapters (the limit is " + maxResidentAdapters + ") are in use");
                }
                for (String victim : victims) {
                    AdapterEntry e = adapters.remove(victim);
                    e.removed = true;
                    evicted.add(e.adapter);
                }
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
        LoraAdapter.load(dir, config, model.newAdapterManager()).close();
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

    /**
     * Runs the prompt in chunks, bounding attention memory and letting other requests' steps interleave; returns
     * the last position's logits, or null if the listener cancelled.
     */
    private float[] prefill(NDManager requestManager, KvCache cache, int[] prompt, GenerationListener listener,
                            LoraAdapter adapter) {
        float[] logits = null;
        for (int start = 0; start < prompt.length; start += PREFILL_CHUNK_TOKENS) {
            int end = Math.min(prompt.length, start + PREFILL_CHUNK_TOKENS);
            logits = step(requestManager, cache, Arrays.copyOfRange(prompt, start, end), listener, adapter);
            if (logits == null) {
                return null;
            }
        }
        return logits;
    }

    /**
     * One forward step in a compute slot; returns the last position's logits (one copy out of native memory), or
     * null without computing if the listener has cancelled.
     */
    private float[] step(NDManager requestManager, KvCache cache, int[] tokenIds, GenerationListener listener,
                         LoraAdapter adapter) {
        // Asked before queueing for a slot, so listener code never runs while a slot is held.
        if (listener.isCancelled()) {
            return null;
        }
        try {
            compute.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InferenceException("interrupted while waiting for a compute slot", e);
        }
        try {
            ensureOpen();
            try (NDManager stepScope = requestManager.newSubManager()) {
                // The whole row in one copy; the sampler only looks at ids below decodableVocabSize.
                return model.forward(stepScope, cache, tokenIds, false, adapter).toFloatArray();
            }
        } finally {
            compute.release();
        }
    }

    /** Sends text deltas with the logprobs of the tokens consumed since the previous delta. */
    private static final class Deltas {

        private final GenerationListener listener;
        private final List<TokenLogprob> logprobs = new ArrayList<>();
        private int sentLogprobs;

        Deltas(GenerationListener listener) {
            this.listener = listener;
        }

        void send(String text, boolean last) {
            boolean pendingLogprobs = sentLogprobs < logprobs.size();
            if (text.isEmpty() && !(last && pendingLogprobs)) {
                return; // logprobs wait for the text their tokens complete
            }
            List<TokenLogprob> batch = List.copyOf(logprobs.subList(sentLogprobs, logprobs.size()));
            sentLogprobs = logprobs.size();
            listener.onDelta(text, batch);
        }
    }

    private void ensureOpen() {
        if (closed.get()) {
            throw new InferenceException("engine for model " + modelId + " is closed");
        }
    }
}
