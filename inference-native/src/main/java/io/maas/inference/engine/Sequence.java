package io.maas.inference.engine;

import ai.djl.ndarray.NDManager;
import io.maas.inference.lora.LoraAdapter;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One generation in flight, advanced step by step by {@link LlamaEngine#prefillChunk} and
 * {@link LlamaEngine#decode} (alone or in a batch): its tokens, sampler, detokenizer, adapter lease, request-scoped
 * {@code NDManager} and KV cache. Not thread-safe: one scheduler thread drives it; {@link #cancel()} and
 * {@link #fail} end it and free its native memory at once.
 */
public final class Sequence {

    private final LlamaEngine engine;
    private final GenerationRequest request;
    private final GenerationListener listener;
    private final long startNanos;
    final int[] prompt;
    final LoraAdapter adapter;
    private final LlamaEngine.AdapterLease lease;
    private final Sampler sampler;
    private final IncrementalDetokenizer detokenizer;
    private final List<TokenLogprob> logprobs = new ArrayList<>();
    private int sentLogprobs;
    final NDManager manager;
    final KvCache cache;
    private final int reservedTokens;
    int prefilled;
    int nextToken = -1;
    private int count;
    private long timeToFirstTokenMs = -1;
    private GenerationResult result;
    private RuntimeException failure;

    Sequence(LlamaEngine engine, GenerationRequest request, GenerationListener listener, long startNanos,
             int[] prompt, int reservedTokens, LlamaEngine.AdapterLease lease, Sampler sampler,
             IncrementalDetokenizer detokenizer, NDManager manager, KvCache cache) {
        this.engine = engine;
        this.request = request;
        this.listener = listener;
        this.startNanos = startNanos;
        this.prompt = prompt;
        this.reservedTokens = reservedTokens;
        this.lease = lease;
        this.adapter = lease == null ? null : lease.adapter();
        this.sampler = sampler;
        this.detokenizer = detokenizer;
        this.manager = manager;
        this.cache = cache;
    }

    public GenerationRequest request() {
        return request;
    }

    /** The adapter id, or empty for the bare base. */
    public Optional<String> adapterId() {
        return request.adapter();
    }

    /** The adapter instance the rows of this sequence use (null: base); batches group rows by it. */
    public LoraAdapter adapter() {
        return adapter;
    }

    /** KV cache positions reserved for this sequence (prompt + max_tokens): what it counts against tokens in flight. */
    public int reservedTokens() {
        return reservedTokens;
    }

    /** Whether prompt chunks remain before the first token. */
    public boolean prefilling() {
        return result == null && failure == null && prefilled < prompt.length;
    }

    /** Whether the next step is a one-token decode step. */
    public boolean decoding() {
        return result == null && failure == null && nextToken >= 0;
    }

    public boolean finished() {
        return result != null || failure != null;
    }

    /** The result once finished normally (also when cancelled), else null. */
    public GenerationResult result() {
        return result;
    }

    /** The exception that ended it (a listener's, or a failed step), else null. */
    public RuntimeException failure() {
        return failure;
    }

    /** Asks the listener whether the client is gone; a listener that throws ends the sequence as failed. */
    public boolean cancelRequested() {
        if (finished()) {
            return false;
        }
        try {
            return listener.isCancelled();
        } catch (RuntimeException e) {
            fail(e);
            return false;
        }
    }

    /** Ends the sequence as {@link FinishReason#CANCELLED}: its cache and arrays are freed now. */
    public void cancel() {
        if (!finished()) {
            complete(FinishReason.CANCELLED);
        }
    }

    /** Ends the sequence with {@code e}, freeing its memory. */
    public void fail(RuntimeException e) {
        if (finished()) {
            return;
        }
        failure = e;
        release();
    }

    /** Consumes the logits of the last position: samples, streams, and either finishes or readies a decode step. */
    void accept(float[] logits) {
        try {
            int next = sampler.sample(logits);
            count++;
            if (count == 1) {
                timeToFirstTokenMs = (System.nanoTime() - startNanos) / 1_000_000;
            }
            if (engine.isEos(next)) {
                complete(FinishReason.STOP);
                return;
            }
            if (request.logprobs()) {
                logprobs.add(Logprobs.of(logits, engine.decodableVocabSize(), next, request.topLogprobs(),
                        engine.tokenizer()::tokenText));
            }
            send(detokenizer.accept(next), false);
            if (detokenizer.stopped()) {
                complete(FinishReason.STOP);
            } else if (count == request.maxTokens()) {
                complete(FinishReason.LENGTH);
            } else {
                nextToken = next;
            }
        } catch (RuntimeException e) {
            fail(e);
        }
    }

    private void complete(FinishReason finish) {
        nextToken = -1;
        try {
            release();
            send(detokenizer.finish(), true);
            result = new GenerationResult(detokenizer.text(), prompt.length, count, finish, logprobs,
                    timeToFirstTokenMs);
        } catch (RuntimeException e) {
            failure = e;
        }
    }

    private boolean released;

    /** Frees the KV cache and the request's arrays and returns the adapter lease; idempotent. */
    private void release() {
        if (released) {
            return;
        }
        released = true;
        nextToken = -1;
        try {
            cache.close();
            manager.close();
        } finally {
            if (lease != null) {
                lease.close();
            }
        }
    }

    /** Sends text deltas with the logprobs of the tokens consumed since the previous delta. */
    private void send(String text, boolean last) {
        boolean pendingLogprobs = sentLogprobs < logprobs.size();
        if (text.isEmpty() && !(last && pendingLogprobs)) {
            return; // logprobs wait for the text their tokens complete
        }
        List<TokenLogprob> batch = List.copyOf(logprobs.subList(sentLogprobs, logprobs.size()));
        sentLogprobs = logprobs.size();
        listener.onDelta(text, batch);
    }
}
