package io.maas.inference.engine;

import ai.djl.ndarray.NDManager;
import io.maas.inference.ChatTemplateException;
import io.maas.inference.ContextLengthExceededException;
import io.maas.inference.InferenceException;
import io.maas.inference.InvalidGenerationParameterException;
import io.maas.inference.MissingChatTemplateException;
import io.maas.inference.ModelFormatException;
import io.maas.inference.model.Checkpoint;
import io.maas.inference.model.ModelConfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
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

    private LlamaEngine(String modelId, ModelConfig config, ModelTokenizer tokenizer, LlamaModel model,
                        Optional<ChatTemplate> chatTemplate) {
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
            return new LlamaEngine(dir.getFileName().toString(), config, tokenizer, model, chatTemplate);
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
        Sampler sampler = new Sampler(request, decodableVocabSize);
        IncrementalDetokenizer detokenizer = new IncrementalDetokenizer(tokenizer, request.stop(),
                request.maxTokens());
        Deltas deltas = new Deltas(listener);
        int count = 0;
        long timeToFirstTokenMs = -1;
        FinishReason finish;
        try (NDManager requestManager = model.newRequestManager();
             KvCache cache = model.newCache(requestManager, (int) needed)) {
            float[] logits = prefill(requestManager, cache, prompt, listener);
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
                logits = step(requestManager, cache, new int[] {next}, listener);
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

    /**
     * Runs the prompt in chunks, bounding attention memory and letting other requests' steps interleave; returns
     * the last position's logits, or null if the listener cancelled.
     */
    private float[] prefill(NDManager requestManager, KvCache cache, int[] prompt, GenerationListener listener) {
        float[] logits = null;
        for (int start = 0; start < prompt.length; start += PREFILL_CHUNK_TOKENS) {
            int end = Math.min(prompt.length, start + PREFILL_CHUNK_TOKENS);
            logits = step(requestManager, cache, Arrays.copyOfRange(prompt, start, end), listener);
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
    private float[] step(NDManager requestManager, KvCache cache, int[] tokenIds, GenerationListener listener) {
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
                return model.forward(stepScope, cache, tokenIds, false).toFloatArray();
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
