package io.maas.inference.engine;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.jni.JniUtils;
import io.maas.inference.InferenceException;
import io.maas.inference.lora.LoraAdapter;
import io.maas.inference.lora.LoraTarget;
import io.maas.inference.model.Checkpoint;
import io.maas.inference.model.HalfFloats;
import io.maas.inference.model.ModelConfig;
import io.maas.inference.model.RopeScaling;
import io.maas.inference.model.SafetensorsFile;
import io.maas.inference.model.TensorDType;
import io.maas.inference.model.TensorInfo;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/** The thread-safe Llama forward pass (prefill, then one-token decode steps) on DJL NDArrays over mapped weights. */
public final class LlamaModel implements AutoCloseable {

    // Manager rule: DJL puts an op's result in its first operand's manager, so every op here starts from an
    // activation (never from a weight) or names its scope explicitly; the weights' manager is capped to enforce it.
    // Weights are only read; each call works in its caller's scope and on its caller's cache.

    private static final int WIDEN_CHUNK_ELEMENTS = 1 << 20;
    /** Row blocks for single-token matrix-vector products (measured best on 2 cores; any count ≥ cores works). */
    static final int GEMV_BLOCKS = Integer.getInteger("inference.gemvBlocks", 8);
    /**
     * Sequences a model's shared KV arena holds at most (more run in caches of their own, attended row by row; 0
     * turns the arena off), read when a model loads.
     */
    static final String KV_ARENA_SLOTS_PROPERTY = "inference.kvArenaSlots";
    /** Bytes of keys and values the shared KV arena may take (a longer request gets a cache of its own). */
    static final String KV_ARENA_BYTES_PROPERTY = "inference.kvArenaBytes";
    /** Most rows a projection computes as W·xᵀ (default 8; 1 turns it off), read when a model loads. */
    static final String WEIGHT_FIRST_MAX_ROWS_PROPERTY = "inference.weightFirstMaxRows";
    /**
     * Most rows a projection computes over the row-block view (default 8: at 2-8 rows it beat W·xᵀ and linear on a
     * quiet machine, BatchStepBenchmark; 1 keeps it for single rows only), read when a model loads.
     */
    static final String BLOCK_MAX_ROWS_PROPERTY = "inference.blockMaxRows";
    /**
     * Whether single-token steps run the lean layer (default true; false runs the general layer, for A/B
     * measurement), read when a model loads: docs/adr/0023-lean-decode-step.md.
     */
    static final String LEAN_DECODE_PROPERTY = "inference.leanDecode";
    /**
     * Weight bytes a decode step reads from which a model's steps use all the intra-op threads (default 16 MiB);
     * below it they run on one, read when a model loads: docs/adr/0024-intra-op-threads-per-model.md.
     */
    static final String PARALLEL_MIN_BYTES_PROPERTY = "inference.parallelMinBytes";
    static final long DEFAULT_PARALLEL_MIN_BYTES = 16L << 20;
    /** Opt-in profiling: counts the arrays each layer of a forward pass creates into {@link #COUNTED_ARRAYS}. */
    static final boolean COUNT_ARRAYS = Boolean.getBoolean("inference.countStepArrays");
    static final AtomicLong COUNTED_ARRAYS = new AtomicLong();

    private final ModelConfig config;
    private final NDManager manager;
    /** Kept reachable for the model's lifetime: the weight tensors alias this memory. */
    private final List<ByteBuffer> mappedBuffers;
    private final NDArray embedTokens;
    private final Projection lmHead;
    private final NDArray finalNorm;
    private final Layer[] layers;
    private final NDArray cosTable;
    private final NDArray sinTable;
    /** The same cos/sin tables in Java, [maxPositions * headDim], for the per-step rotation matrices. */
    private final float[] cosRows;
    private final float[] sinRows;
    private final boolean leanDecode;
    private final NDArray rotateHalf;
    private final NDArray rmsEps;
    private final NDArray attentionScale;
    private final KvArena arena;
    /** Uncapped: W·xᵀ products land here (their first operand's manager) for the instant before they move. */
    private final NDManager aliases;
    private final int weightFirstMaxRows;
    private final int blockMaxRows;
    /** Intra-op threads of this model's forward passes (1 for a model too small to gain from a second one). */
    private final int computeThreads;
    /** Adapter matrices stacked by arena slot for mixed-adapter batches; guarded by itself. */
    private final LoraSlots[] loraSlots = new LoraSlots[1];

    /** One decoder layer's weights, in Hugging Face layout ([out, in] matrices). */
    private record Layer(NDArray inputNorm, Projection qProj, Projection kProj, Projection vProj, Projection oProj,
                         NDArray postNorm, Projection gateProj, Projection upProj, Projection downProj,
                         Projection gateUp) {
    }

    /**
     * A weight [out, in] and, for steps of up to {@code blockMaxRows} rows, a view of it as row blocks
     * [blocks, in, out/blocks]: one batched matmul over the blocks spreads the product over all cores (MKL runs a
     * plain GEMV on one core). For a weight whose output size the blocks do not divide, {@code left} (a view in an
     * uncapped manager) computes W·xᵀ for a few rows instead of x·Wᵀ:
     * bundled oneMKL's x·Wᵀ kernel for small M is slow on this AMD CPU (best of 25 on a loaded host, 1536×576:
     * 0.7 vs 4.1 GB/s at 2 rows, 0.6 vs 1.4 at 4, 1.2 vs 2.8 at 8). All are views of the same memory.
     */
    private record Projection(NDArray weight, NDArray blocks, int blockMaxRows, NDArray left, int leftMaxRows,
                              long outFeatures, NDArray bias) {

        /** With an optional bias [out] (Qwen2's q/k/v); {@code aliases} holds the W·xᵀ view (null: none). */
        static Projection of(NDArray weight, NDArray bias, NDManager aliases, int blockMaxRows, int leftMaxRows) {
            long out = weight.getShape().get(0);
            long in = weight.getShape().get(1);
            NDArray blocks = GEMV_BLOCKS > 1 && out % GEMV_BLOCKS == 0
                    ? weight.reshape(GEMV_BLOCKS, out / GEMV_BLOCKS, in).transpose(0, 2, 1) : null;
            NDArray left = leftMaxRows > 1 ? weight.get(aliases, new NDIndex("0:{}", out)) : null;
            return new Projection(weight, blocks, Math.max(1, blockMaxRows), left, leftMaxRows, out, bias);
        }

        /** x [T, in] times weightᵀ plus the bias: [T, out], in x's manager. */
        NDArray apply(NDArray x) {
            long rows = x.getShape().get(0);
            if (blocks != null && rows == 1) {
                NDArray y = x.matMul(blocks).reshape(1, outFeatures);
                return bias == null ? y : y.add(bias);
            }
            if (blocks != null && rows <= blockMaxRows) {
                // [blocks, rows, out/blocks] back to [rows, out]: the small output is copied, the weights are not.
                NDArray y = x.matMul(blocks).transpose(1, 0, 2).reshape(rows, outFeatures);
                return bias == null ? y : y.add(bias);
            }
            if (left != null && rows <= leftMaxRows) {
                // The product lands in the aliases' manager (its first operand's): move it to x's at once.
                NDArray yT = left.matMul(x.transpose());
                yT.attach(x.getManager());
                NDArray y = yT.transpose();
                return bias == null ? y : y.add(bias);
            }
            return x.getNDArrayInternal().linear(x, weight, bias).singletonOrThrow();
        }
    }

    private Projection projection(NDArray weight) {
        return projection(weight, null);
    }

    private Projection projection(NDArray weight, NDArray bias) {
        return Projection.of(weight, bias, aliases, blockMaxRows, weightFirstMaxRows);
    }

    private LlamaModel(ModelConfig config, NDManager manager, Checkpoint checkpoint) {
        this.config = config;
        this.manager = manager;
        this.aliases = manager.newSubManager();
        this.weightFirstMaxRows = Integer.getInteger(WEIGHT_FIRST_MAX_ROWS_PROPERTY, 8);
        this.blockMaxRows = Integer.getInteger(BLOCK_MAX_ROWS_PROPERTY, 8);
        this.mappedBuffers = new ArrayList<>();
        this.embedTokens = weight(checkpoint, "model.embed_tokens.weight");
        this.lmHead = projection(config.tiedEmbeddings() ? embedTokens : weight(checkpoint, "lm_head.weight"));
        this.finalNorm = weight(checkpoint, "model.norm.weight");
        this.layers = new Layer[config.numLayers()];
        for (int i = 0; i < layers.length; i++) {
            String p = "model.layers." + i + ".";
            layers[i] = new Layer(weight(checkpoint, p + "input_layernorm.weight"),
                    projection(weight(checkpoint, p + "self_attn.q_proj.weight"),
                            config.qkvBias() ? weight(checkpoint, p + "self_attn.q_proj.bias") : null),
                    projection(weight(checkpoint, p + "self_attn.k_proj.weight"),
                            config.qkvBias() ? weight(checkpoint, p + "self_attn.k_proj.bias") : null),
                    projection(weight(checkpoint, p + "self_attn.v_proj.weight"),
                            config.qkvBias() ? weight(checkpoint, p + "self_attn.v_proj.bias") : null),
                    projection(weight(checkpoint, p + "self_attn.o_proj.weight"),
                            config.oBias() ? weight(checkpoint, p + "self_attn.o_proj.bias") : null),
                    weight(checkpoint, p + "post_attention_layernorm.weight"),
                    projection(weight(checkpoint, p + "mlp.gate_proj.weight")),
                    projection(weight(checkpoint, p + "mlp.up_proj.weight")),
                    projection(weight(checkpoint, p + "mlp.down_proj.weight")),
                    adjacentPair(checkpoint, p + "mlp.gate_proj.weight", p + "mlp.up_proj.weight"));
        }
        int headDim = config.headDim();
        float[][] rope = ropeTables(config.maxPositionEmbeddings(), headDim,
                RopeScaling.inverseFrequencies(headDim, config.ropeTheta(), config.ropeScaling()));
        this.cosTable = manager.create(rope[0], new Shape(config.maxPositionEmbeddings(), headDim));
        this.sinTable = manager.create(rope[1], new Shape(config.maxPositionEmbeddings(), headDim));
        this.cosRows = rope[0];
        this.sinRows = rope[1];
        this.leanDecode = Boolean.parseBoolean(System.getProperty(LEAN_DECODE_PROPERTY, "true"));
        this.rotateHalf = rotateHalfMatrix(manager, headDim);
        this.rmsEps = manager.create((float) config.rmsNormEps());
        this.attentionScale = manager.create((float) (1.0 / Math.sqrt(headDim)));
        this.arena = KvArena.shared(manager, config.numLayers(), config.numKvHeads(), headDim,
                Integer.getInteger(KV_ARENA_SLOTS_PROPERTY, 32), Long.getLong(KV_ARENA_BYTES_PROPERTY, 512L << 20));
        this.computeThreads = computeThreads(stepBytes(), Long.getLong(PARALLEL_MIN_BYTES_PROPERTY,
                DEFAULT_PARALLEL_MIN_BYTES), PyTorchSetup.intraOpThreads());
    }

    /**
     * A small model's ops are too short to split: each parallel region costs a wake-up and a barrier of the second
     * thread, and while that thread spins at the barrier it takes the core the gateway's threads need (the tiny
     * model's HTTP throughput rose from 0.70 to 0.98 of in-process on one thread).
     */
    static int computeThreads(long stepBytes, long parallelMinBytes, int configuredThreads) {
        return stepBytes >= parallelMinBytes ? configuredThreads : 1;
    }

    /** Weight bytes one decode step reads: every projection and the LM head. */
    long stepBytes() {
        long bytes = 0;
        for (NDArray w : stepWeights()) {
            bytes += w.getShape().size() * w.getDataType().getNumOfBytes();
        }
        return bytes;
    }

    /** Intra-op threads this model's forward passes run on. */
    public int computeThreads() {
        return computeThreads;
    }

    /** Maps every weight of {@code checkpoint} into a new model-level manager; the checkpoint may be closed after. */
    public static LlamaModel load(ModelConfig config, Checkpoint checkpoint) {
        PyTorchSetup.apply();
        NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
        try {
            LlamaModel model = new LlamaModel(config, manager, checkpoint);
            // From now on an op result landing in the weights' manager (a per-step leak) fails loudly instead.
            manager.cap();
            return model;
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    public ModelConfig config() {
        return config;
    }

    /** A child manager for one request; close it (try-with-resources) when the request ends. */
    public NDManager newRequestManager() {
        return manager.newSubManager();
    }

    /**
     * A KV cache for a sequence of at most {@code capacityTokens}: a slot of the model's shared arena when it has
     * room (batched decode steps attend over it with a few ops for all rows), else a cache of its own owned by
     * {@code requestManager}. Close it when the sequence ends.
     */
    public KvCache newCache(NDManager requestManager, int capacityTokens) {
        if (capacityTokens > config.maxPositionEmbeddings()) {
            throw new IllegalArgumentException("capacity " + capacityTokens + " exceeds max_position_embeddings "
                    + config.maxPositionEmbeddings());
        }
        KvCache cache = arena.allocate(capacityTokens);
        return cache != null ? cache : KvArena.standalone(requestManager, config.numLayers(), config.numKvHeads(),
                config.headDim(), capacityTokens);
    }

    /**
     * Runs {@code tokenIds} at the cache's next positions (a whole prompt, or one token when decoding), appends
     * their keys and values to {@code cache}, and returns the logits in {@code scope}: [T, vocab] when
     * {@code allPositions}, else [1, vocab] for the last token only.
     */
    public NDArray forward(NDManager scope, KvCache cache, int[] tokenIds, boolean allPositions) {
        return forward(scope, cache, tokenIds, allPositions, null);
    }

    /**
     * As {@link #forward(NDManager, KvCache, int[], boolean)}, with {@code adapter}'s LoRA deltas added unmerged to
     * every projection it targets; a null adapter runs the bare base (the same ops as without one). The caller keeps
     * the adapter open for the call.
     */
    public NDArray forward(NDManager scope, KvCache cache, int[] tokenIds, boolean allPositions,
                           LoraAdapter adapter) {
        if (adapter != null && !adapter.baseConfig().equals(config)) {
            throw new InferenceException("adapter " + adapter.directory() + " was validated against another base");
        }
        int t = tokenIds.length;
        int start = cache.lengthTokens();
        if (t < 1 || start + t > cache.capacityTokens()) {
            throw new InferenceException("cannot run " + t + " tokens at position " + start
                    + " of a cache for " + cache.capacityTokens());
        }
        long[] ids = new long[t];
        long[] positions = new long[t];
        for (int i = 0; i < t; i++) {
            ids[i] = tokenIds[i];
            positions[i] = start + i;
            if (tokenIds[i] < 0 || tokenIds[i] >= config.vocabSize()) {
                throw new InferenceException("token id " + tokenIds[i] + " outside the vocabulary");
            }
        }
        PyTorchSetup.useThreads(computeThreads);
        cache.arena().readLock().lock();
        try {
            return forwardLocked(scope, cache, ids, positions, start, allPositions, adapter);
        } finally {
            cache.arena().readLock().unlock();
        }
    }

    private NDArray forwardLocked(NDManager scope, KvCache cache, long[] ids, long[] positions, int start,
                                  boolean allPositions, LoraAdapter adapter) {
        int t = ids.length;
        if (t == 1 && leanDecode) {
            return decodeLocked(scope, cache, ids, start, adapter);
        }
        NDArray x = embedding(scope.create(ids), embedTokens);
        NDArray positionsArray = scope.create(positions);
        NDArray cos = embedding(positionsArray, cosTable).expandDims(1);
        NDArray sin = embedding(positionsArray, sinTable).expandDims(1);
        NDArray mask = t > 1 ? causalMask(scope, start, t) : null;
        for (int i = 0; i < layers.length; i++) {
            NDArray next;
            try (NDManager layerScope = scope.newSubManager()) {
                // Borrow x into the layer's scope so every intermediate dies with it; x returns on close.
                x.tempAttach(layerScope);
                next = layer(layers[i], i, x, cos, sin, mask, cache, start + t, layerScope, adapter);
                countArrays(layerScope);
                next.attach(scope);
            }
            x.close();
            x = next;
        }
        cache.advance(t);
        NDArray last = allPositions ? x : x.get(new NDIndex("{}:", t - 1));
        return lmHead.apply(rmsNorm(last, finalNorm));
    }

    /**
     * One token of one sequence (a batch-1 decode step) with the fewest native ops (docs/adr/0023): rotary
     * embedding as one product with this position's rotation matrix (attention scale folded into the queries'),
     * heads reshaped straight into the grouped-query layout, keys read through a transposed view of the cache,
     * cache writes and reads as slice calls without index parsing, and gate|up as one product when the two weights
     * are adjacent in the file. Same arithmetic as {@link #layer}, up to summation order.
     */
    private NDArray decodeLocked(NDManager scope, KvCache cache, long[] ids, int position, LoraAdapter adapter) {
        NDArray x = embedding(scope.create(ids), embedTokens);
        int headDim = config.headDim();
        float[] rotation = rotation(position, 1f);
        NDArray keyRotation = scope.create(rotation, new Shape(headDim, headDim));
        float scale = (float) (1.0 / Math.sqrt(headDim));
        for (int i = 0; i < rotation.length; i++) {
            rotation[i] *= scale;
        }
        NDArray queryRotation = scope.create(rotation, new Shape(headDim, headDim));
        for (int i = 0; i < layers.length; i++) {
            NDArray next;
            try (NDManager layerScope = scope.newSubManager()) {
                x.tempAttach(layerScope);
                next = decodeLayer(layers[i], i, x, queryRotation, keyRotation, cache, position + 1, layerScope,
                        adapter);
                countArrays(layerScope);
                next.attach(scope);
            }
            x.close();
            x = next;
        }
        cache.advance(1);
        return lmHead.apply(rmsNorm(x, finalNorm));
    }

    private NDArray decodeLayer(Layer w, int index, NDArray x, NDArray queryRotation, NDArray keyRotation,
                                KvCache cache, int length, NDManager scope, LoraAdapter adapter) {
        int heads = config.numHeads();
        int kvHeads = config.numKvHeads();
        int headDim = config.headDim();
        int group = heads / kvHeads;
        NDArray h = rmsNorm(x, w.inputNorm());
        // Query heads grouped by the KV head they share, [kvHeads, group, d], already rotated and scaled.
        NDArray q = projectAs(w.qProj(), h, adapter, index, LoraTarget.Q_PROJ, kvHeads, group, headDim)
                .matMul(queryRotation);
        NDArray k = projectAs(w.kProj(), h, adapter, index, LoraTarget.K_PROJ, kvHeads, 1, headDim)
                .matMul(keyRotation);
        NDArray v = projectAs(w.vProj(), h, adapter, index, LoraTarget.V_PROJ, kvHeads, 1, headDim);
        cache.writeNext(index, k, v);
        // [1, kvHeads, group, L]: q [kvHeads, group, d] broadcasts against keysᵀ [1, kvHeads, d, L].
        NDArray scores = q.matMul(cache.keysTransposed(index, scope, length));
        NDArray attended = scores.softmax(3).matMul(cache.valuesView(index, scope, length))
                .reshape(1, (long) heads * headDim);
        NDArray x2 = x.add(project(w.oProj(), attended, adapter, index, LoraTarget.O_PROJ));
        NDArray h2 = rmsNorm(x2, w.postNorm());
        NDArray swiglu;
        if (w.gateUp() != null && untouched(adapter, LoraTarget.GATE_PROJ) && untouched(adapter, LoraTarget.UP_PROJ)) {
            NDList gateUp = h2.matMul(w.gateUp().blocks()).reshape(2, config.intermediateSize()).split(2, 0);
            NDArray gate = gateUp.get(0);
            swiglu = gate.mul(gate.getNDArrayInternal().sigmoid()).mul(gateUp.get(1));
        } else {
            NDArray gate = project(w.gateProj(), h2, adapter, index, LoraTarget.GATE_PROJ);
            swiglu = gate.mul(gate.getNDArrayInternal().sigmoid())
                    .mul(project(w.upProj(), h2, adapter, index, LoraTarget.UP_PROJ));
        }
        return x2.add(project(w.downProj(), swiglu, adapter, index, LoraTarget.DOWN_PROJ));
    }

    private static boolean untouched(LoraAdapter adapter, LoraTarget target) {
        return adapter == null || !adapter.targets().contains(target);
    }

    /** {@link #project} of one row, reshaped: without adapter delta or bias, the row-block product and one reshape. */
    private static NDArray projectAs(Projection p, NDArray x, LoraAdapter adapter, int layer, LoraTarget target,
                                     long... shape) {
        if (p.blocks() != null && p.bias() == null && untouched(adapter, target)) {
            return x.matMul(p.blocks()).reshape(shape);
        }
        return project(p, x, adapter, layer, target).reshape(shape);
    }

    /**
     * M [d, d] with x·M = (x * cos + rotate_half(x) * sin) * scale at {@code position} (HF's apply_rotary_pos_emb):
     * M = diag(cos) + R·diag(sin) with R the rotate_half matrix; each output sums two products and zeros.
     */
    private float[] rotation(int position, float scale) {
        int d = config.headDim();
        int half = d / 2;
        float[] m = new float[d * d];
        int row = position * d;
        for (int j = 0; j < d; j++) {
            m[j * d + j] = cosRows[row + j] * scale;
        }
        for (int j = 0; j < half; j++) {
            // rotate_half(x)[j] = -x[j + half]; rotate_half(x)[j + half] = x[j].
            m[(j + half) * d + j] = -sinRows[row + j] * scale;
            m[j * d + j + half] = sinRows[row + j + half] * scale;
        }
        return m;
    }

    /** Layers whose gate and up projections run as one product over one view (adjacent in the file). */
    int fusedGateUpLayers() {
        int n = 0;
        for (Layer w : layers) {
            n += w.gateUp() != null ? 1 : 0;
        }
        return n;
    }

    /** Opt-in measurement: the [out, in] weights one batch-1 step multiplies by, in step order (LM head last). */
    List<NDArray> stepWeights() {
        List<NDArray> out = new ArrayList<>();
        for (Layer w : layers) {
            for (Projection p : new Projection[] {w.qProj(), w.kProj(), w.vProj(), w.oProj(), w.gateProj(),
                    w.upProj(), w.downProj()}) {
                out.add(p.weight());
            }
        }
        out.add(lmHead.weight());
        return out;
    }

    private static void countArrays(NDManager layerScope) {
        if (COUNT_ARRAYS) {
            COUNTED_ARRAYS.addAndGet(layerScope.getManagedArrays().size());
        }
    }

    /**
     * Opt-in measurement of the floor of a batch-1 step: only its matrix-vector products, on zero activations of
     * the right sizes over the same weight views a step uses (row-block form; gate|up fused when {@code fused}).
     */
    void projectionsOnly(NDManager scope, boolean fused) {
        int hidden = config.hiddenSize();
        NDArray h = scope.zeros(new Shape(1, hidden));
        NDArray attended = scope.zeros(new Shape(1, (long) config.numHeads() * config.headDim()));
        NDArray mlp = scope.zeros(new Shape(1, config.intermediateSize()));
        for (Layer w : layers) {
            try (NDManager layerScope = scope.newSubManager()) {
                h.tempAttach(layerScope);
                attended.tempAttach(layerScope);
                mlp.tempAttach(layerScope);
                w.qProj().apply(h);
                w.kProj().apply(h);
                w.vProj().apply(h);
                w.oProj().apply(attended);
                if (fused && w.gateUp() != null) {
                    h.matMul(w.gateUp().blocks());
                } else {
                    w.gateProj().apply(h);
                    w.upProj().apply(h);
                }
                w.downProj().apply(mlp);
            }
        }
        lmHead.apply(h);
    }

    /** Opt-in measurement: the LM head's matrix-vector product alone (row-block form), on a zero activation. */
    void lmHeadOnly(NDManager scope) {
        lmHead.apply(scope.zeros(new Shape(1, config.hiddenSize())));
    }

    /**
     * One decode step for several sequences at once: row i runs {@code tokenIds[i]} at the next position of
     * {@code caches[i]} with {@code adapters[i]} (null: the bare base) and the result is the logits [B, vocab] in
     * {@code scope}. The projections run as one matrix product over all rows. When every cache is a slot of the
     * shared arena, attention for all rows is a few batched ops over the arena with a length mask (fastest when
     * the rows come in slot order over consecutive slots, as {@link #slotOrder} sorts them); otherwise each row
     * attends over its own cache. Adapter deltas come from matrices stacked per row: row i only ever meets its
     * own adapter's matrices.
     */
    public NDArray forwardBatch(NDManager scope, KvCache[] caches, int[] tokenIds, LoraAdapter[] adapters) {
        int b = tokenIds.length;
        if (b < 1 || caches.length != b || adapters.length != b) {
            throw new IllegalArgumentException("one cache and one adapter slot per token");
        }
        long[] ids = new long[b];
        long[] positions = new long[b];
        boolean anyAdapter = false;
        boolean oneArena = true;
        for (int i = 0; i < b; i++) {
            if (adapters[i] != null && !adapters[i].baseConfig().equals(config)) {
                throw new InferenceException("adapter " + adapters[i].directory()
                        + " was validated against another base");
            }
            if (caches[i].lengthTokens() + 1 > caches[i].capacityTokens()) {
                throw new InferenceException("cache of row " + i + " is full");
            }
            if (tokenIds[i] < 0 || tokenIds[i] >= config.vocabSize()) {
                throw new InferenceException("token id " + tokenIds[i] + " outside the vocabulary");
            }
            for (int j = 0; j < i; j++) {
                if (caches[j] == caches[i]) {
                    throw new IllegalArgumentException("a cache appears twice in one batch");
                }
            }
            ids[i] = tokenIds[i];
            positions[i] = caches[i].lengthTokens();
            anyAdapter |= adapters[i] != null;
            oneArena &= caches[i].arena() == arena;
        }
        PyTorchSetup.useThreads(computeThreads);
        List<KvArena> locked = new ArrayList<>();
        try {
            for (KvCache c : caches) {
                if (!locked.contains(c.arena())) {
                    c.arena().readLock().lock();
                    locked.add(c.arena());
                }
            }
            if (!anyAdapter || !oneArena) {
                return forwardBatchLocked(scope, caches, ids, positions, oneArena, null, adapters);
            }
            // Steps with adapters take turns on the slot stacks (one scheduler thread drives them anyway).
            synchronized (loraSlots) {
                int rank = 0;
                for (LoraAdapter a : adapters) {
                    rank = Math.max(rank, a == null ? 0 : a.rank());
                }
                if (loraSlots[0] == null || !loraSlots[0].fits(arena.slots(), rank)) {
                    releaseAdapterStack();
                    loraSlots[0] = new LoraSlots(manager, config.numLayers(), arena.slots(), rank);
                }
                for (int i = 0; i < b; i++) {
                    loraSlots[0].assign(caches[i].slot(), adapters[i]);
                }
                return forwardBatchLocked(scope, caches, ids, positions, true, loraSlots[0], adapters);
            }
        } finally {
            for (KvArena a : locked) {
                a.readLock().unlock();
            }
        }
    }

    /** Frees the slot-stacked copies of adapter matrices (when no running row uses an adapter). */
    public void releaseAdapterStack() {
        synchronized (loraSlots) {
            if (loraSlots[0] != null) {
                loraSlots[0].close();
                loraSlots[0] = null;
            }
        }
    }

    private NDArray forwardBatchLocked(NDManager scope, KvCache[] caches, long[] ids, long[] positions,
                                      boolean oneArena, LoraSlots lora, LoraAdapter[] adapters) {
        int[] runs = lora == null ? adapterRuns(adapters) : null;
        int b = ids.length;
        NDArray x = embedding(scope.create(ids), embedTokens);
        NDArray positionsArray = scope.create(positions);
        NDArray cos = embedding(positionsArray, cosTable).expandDims(1);
        NDArray sin = embedding(positionsArray, sinTable).expandDims(1);
        BatchAttention batch = oneArena ? BatchAttention.of(scope, arena, caches) : null;
        for (int i = 0; i < layers.length; i++) {
            NDArray next;
            try (NDManager layerScope = scope.newSubManager()) {
                x.tempAttach(layerScope);
                next = batchLayer(layers[i], i, x, cos, sin, caches, batch, layerScope,
                        new Deltas(lora, batch, adapters, runs, i));
                next.attach(scope);
            }
            x.close();
            x = next;
        }
        for (KvCache cache : caches) {
            cache.advance(1);
        }
        return lmHead.apply(rmsNorm(x, finalNorm));
    }

    /**
     * Where a batch's rows sit in the shared arena, computed once per step: the flat row index of each (row, KV
     * head) at the row's next position (one write per layer for all rows), the slot range or slot list to read,
     * and the additive length mask [B, 1, 1, L].
     */
    private record BatchAttention(NDArray writeRows, int firstSlot, NDArray slotList, int length, NDArray mask) {

        static BatchAttention of(NDManager scope, KvArena arena, KvCache[] caches) {
            int b = caches.length;
            int kvHeads = arena.kvHeads();
            int capacity = arena.capacity();
            long[] rows = new long[b * kvHeads];
            int length = 0;
            boolean consecutive = true;
            for (int i = 0; i < b; i++) {
                KvCache c = caches[i];
                for (int h = 0; h < kvHeads; h++) {
                    rows[i * kvHeads + h] = ((long) c.slot() * kvHeads + h) * capacity + c.lengthTokens();
                }
                length = Math.max(length, c.lengthTokens() + 1);
                consecutive &= c.slot() == caches[0].slot() + i;
            }
            float[] mask = new float[b * length];
            long[] slots = new long[b];
            for (int i = 0; i < b; i++) {
                slots[i] = caches[i].slot();
                for (int j = caches[i].lengthTokens() + 1; j < length; j++) {
                    mask[i * length + j] = Float.NEGATIVE_INFINITY;
                }
            }
            return new BatchAttention(scope.create(rows), consecutive ? caches[0].slot() : -1,
                    consecutive ? null : scope.create(slots), length,
                    scope.create(mask, new Shape(b, 1, 1, length)));
        }

        /** Keys or values of the batch's rows [B, kvHeads, L, headDim]: a view, or a gather for scattered slots. */
        NDArray read(NDArray cache, NDManager scope, int b) {
            return slotList == null
                    ? cache.get(scope, new NDIndex("{}:{}, :, 0:{}", firstSlot, firstSlot + b, length))
                    : cache.get(scope, new NDIndex("{}, :, 0:{}", slotList, length));
        }
    }

    private NDArray batchLayer(Layer w, int index, NDArray x, NDArray cos, NDArray sin, KvCache[] caches,
                               BatchAttention batch, NDManager scope, Deltas lora) {
        int b = (int) x.getShape().get(0);
        int heads = config.numHeads();
        int kvHeads = config.numKvHeads();
        int headDim = config.headDim();
        int group = heads / kvHeads;
        NDArray h = rmsNorm(x, w.inputNorm());
        NDArray h3 = lora.rows3(h);
        NDArray q = rope(lora.project(w.qProj(), h, h3, LoraTarget.Q_PROJ)
                .reshape(b, heads, headDim), cos, sin);
        NDArray k = rope(lora.project(w.kProj(), h, h3, LoraTarget.K_PROJ)
                .reshape(b, kvHeads, headDim), cos, sin);
        NDArray v = lora.project(w.vProj(), h, h3, LoraTarget.V_PROJ).reshape(b, kvHeads, headDim);
        // One query row per sequence: no transposes needed, and the score scale applied once for all rows.
        NDArray scaledQ = q.mul(attentionScale);
        NDArray attended;
        if (batch != null) {
            NDIndex rows = new NDIndex("{}", batch.writeRows());
            arena.keyRows(index).set(rows, k.reshape((long) b * kvHeads, headDim));
            arena.valueRows(index).set(rows, v.reshape((long) b * kvHeads, headDim));
            NDArray keys = batch.read(arena.keys(index), scope, b);
            NDArray values = batch.read(arena.values(index), scope, b);
            NDArray scores = scaledQ.reshape(b, kvHeads, group, headDim).matMul(keys.transpose(0, 1, 3, 2))
                    .add(batch.mask());
            attended = scores.softmax(3).matMul(values).reshape(b, (long) heads * headDim);
        } else {
            NDList out = new NDList(b);
            for (int i = 0; i < b; i++) {
                NDIndex row = new NDIndex("{}:{}", i, i + 1);
                KvCache cache = caches[i];
                cache.write(index, k.get(row), v.get(row));
                int length = cache.lengthTokens() + 1;
                NDArray scores = scaledQ.get(row).reshape(kvHeads, group, headDim)
                        .matMul(cache.keys(index, scope, length).transpose(0, 2, 1));
                out.add(scores.softmax(2).matMul(cache.values(index, scope, length))
                        .reshape(1, (long) heads * headDim));
            }
            attended = b == 1 ? out.get(0) : NDArrays.concat(out, 0);
        }
        NDArray x2 = x.add(lora.project(w.oProj(), attended, lora.rows3(attended), LoraTarget.O_PROJ));
        NDArray h2 = rmsNorm(x2, w.postNorm());
        NDArray h23 = lora.rows3(h2);
        NDArray gate = lora.project(w.gateProj(), h2, h23, LoraTarget.GATE_PROJ);
        NDArray swiglu = gate.mul(gate.getNDArrayInternal().sigmoid())
                .mul(lora.project(w.upProj(), h2, h23, LoraTarget.UP_PROJ));
        return x2.add(lora.project(w.downProj(), swiglu, lora.rows3(swiglu), LoraTarget.DOWN_PROJ));
    }

    /**
     * How one layer of a batch adds adapter deltas: from the slot stacks (rows in arena slots), or, for batches
     * outside the arena, per run of consecutive rows sharing an adapter. Either way rows of adapter X never meet
     * adapter Y's matrices.
     */
    private record Deltas(LoraSlots slots, BatchAttention batch, LoraAdapter[] adapters, int[] runs, int layer) {

        /** x as [B, 1, in] for the stacked product, or null when no stacks are used. */
        NDArray rows3(NDArray x) {
            return slots == null ? null : x.reshape(x.getShape().get(0), 1, x.getShape().get(1));
        }

        /** The base projection of every row plus each row's own adapter delta. */
        NDArray project(Projection p, NDArray x, NDArray x3, LoraTarget target) {
            NDArray y = p.apply(x);
            if (slots != null) {
                return batch.slotList() == null ? slots.apply(layer, target, batch.firstSlot(), x3, y)
                        : slots.apply(layer, target, batch.slotList(), x3, y);
            }
            int runCount = runs.length - 1;
            if (runCount == 1) {
                LoraAdapter adapter = adapters[0];
                return adapter == null ? y : adapter.apply(layer, target, x, y);
            }
            boolean any = false;
            for (int r = 0; r < runCount && !any; r++) {
                LoraAdapter a = adapters[runs[r]];
                any = a != null && a.targets().contains(target);
            }
            if (!any) {
                return y;
            }
            NDList parts = new NDList(runCount);
            for (int r = 0; r < runCount; r++) {
                NDIndex rows = new NDIndex("{}:{}", runs[r], runs[r + 1]);
                LoraAdapter adapter = adapters[runs[r]];
                NDArray part = y.get(rows);
                parts.add(adapter == null ? part : adapter.apply(layer, target, x.get(rows), part));
            }
            return NDArrays.concat(parts, 0);
        }
    }

    /** Start indices of runs of consecutive rows with the same adapter, then the row count. */
    private static int[] adapterRuns(LoraAdapter[] adapters) {
        List<Integer> starts = new ArrayList<>();
        for (int i = 0; i < adapters.length; i++) {
            if (i == 0 || adapters[i] != adapters[i - 1]) {
                starts.add(i);
            }
        }
        int[] runs = new int[starts.size() + 1];
        for (int r = 0; r < starts.size(); r++) {
            runs[r] = starts.get(r);
        }
        runs[runs.length - 1] = adapters.length;
        return runs;
    }

    /** {@code caches} sorted by arena slot: the order in which {@link #forwardBatch} reads the arena as one view. */
    static int[] slotOrder(KvCache[] caches) {
        Integer[] order = new Integer[caches.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, java.util.Comparator.comparingInt(i -> caches[i].slot()));
        int[] result = new int[order.length];
        for (int i = 0; i < order.length; i++) {
            result[i] = order[i];
        }
        return result;
    }

    /** A child manager of the model's for an adapter's arrays (the adapter owns and closes it). */
    public NDManager newAdapterManager() {
        return manager.newSubManager();
    }

    /** Arrays held by the model's manager and its live children (weights, views, requests in flight). */
    int managedArrayCount() {
        return manager.getManagedArrays().size();
    }

    @Override
    public void close() {
        releaseAdapterStack();
        arena.close();
        manager.close();
        mappedBuffers.clear();
    }

    private NDArray layer(Layer w, int index, NDArray x, NDArray cos, NDArray sin, NDArray mask, KvCache cache,
                          int length, NDManager scope, LoraAdapter adapter) {
        int t = (int) x.getShape().get(0);
        int heads = config.numHeads();
        int kvHeads = config.numKvHeads();
        int headDim = config.headDim();
        NDArray h = rmsNorm(x, w.inputNorm());
        NDArray q = rope(project(w.qProj(), h, adapter, index, LoraTarget.Q_PROJ).reshape(t, heads, headDim),
                cos, sin);
        NDArray k = rope(project(w.kProj(), h, adapter, index, LoraTarget.K_PROJ).reshape(t, kvHeads, headDim),
                cos, sin);
        NDArray v = project(w.vProj(), h, adapter, index, LoraTarget.V_PROJ).reshape(t, kvHeads, headDim);
        cache.write(index, k, v);
        NDArray attended = attention(q, cache.keys(index, scope, length), cache.values(index, scope, length), mask);
        NDArray x2 = x.add(project(w.oProj(), attended, adapter, index, LoraTarget.O_PROJ));
        NDArray h2 = rmsNorm(x2, w.postNorm());
        NDArray gate = project(w.gateProj(), h2, adapter, index, LoraTarget.GATE_PROJ);
        NDArray swiglu = gate.mul(gate.getNDArrayInternal().sigmoid())
                .mul(project(w.upProj(), h2, adapter, index, LoraTarget.UP_PROJ));
        return x2.add(project(w.downProj(), swiglu, adapter, index, LoraTarget.DOWN_PROJ));
    }

    /** The base projection of x, plus the adapter's unmerged delta when it targets this projection. */
    private static NDArray project(Projection p, NDArray x, LoraAdapter adapter, int layer, LoraTarget target) {
        NDArray y = p.apply(x);
        return adapter == null ? y : adapter.apply(layer, target, x, y);
    }

    /**
     * Grouped-query attention. q [T, heads, d]; keys and values [kvHeads, L, d]. Query heads are grouped by the
     * KV head they share (head h uses KV head h / group, as HF's repeat_kv), so one batched matmul per KV head
     * covers its whole group without copying keys.
     */
    private NDArray attention(NDArray q, NDArray keys, NDArray values, NDArray mask) {
        int t = (int) q.getShape().get(0);
        int length = (int) keys.getShape().get(1);
        int heads = config.numHeads();
        int kvHeads = config.numKvHeads();
        int group = heads / kvHeads;
        int headDim = config.headDim();
        NDArray grouped = q.transpose(1, 0, 2).reshape(kvHeads, (long) group * t, headDim);
        NDArray scores = grouped.matMul(keys.transpose(0, 2, 1)).mul(attentionScale);
        if (mask != null) {
            scores = scores.reshape(kvHeads, group, t, length).add(mask).reshape(kvHeads, (long) group * t, length);
        }
        NDArray context = scores.softmax(2).matMul(values);
        return context.reshape(heads, t, headDim).transpose(1, 0, 2).reshape(t, (long) heads * headDim);
    }

    /** HF's apply_rotary_pos_emb: x * cos + rotate_half(x) * sin, with rotate_half as a fixed ±1 matrix. */
    private NDArray rope(NDArray x, NDArray cos, NDArray sin) {
        return x.mul(cos).add(x.matMul(rotateHalf).mul(sin));
    }

    /** x / sqrt(mean(x²) + eps) * weight over the last axis, as HF's LlamaRMSNorm. */
    private NDArray rmsNorm(NDArray x, NDArray weight) {
        int axis = x.getShape().dimension() - 1;
        NDArray meanSquare = x.square().mean(new int[] {axis}, true);
        return x.div(meanSquare.add(rmsEps).sqrt()).mul(weight);
    }

    /** x · Wᵀ with W in [out, in] layout; one op, result in x's manager. */
    private static NDArray linear(NDArray x, NDArray weight) {
        return x.getNDArrayInternal().linear(x, weight, null).singletonOrThrow();
    }

    /** Rows of {@code table} at {@code indices}; the result lives with the indices, not with the table. */
    private static NDArray embedding(NDArray indices, NDArray table) {
        return indices.getNDArrayInternal().embedding(indices, table, SparseFormat.DENSE).singletonOrThrow();
    }

    /** Additive mask [T, L]: query t (at position start + t) sees keys up to its own position. */
    private static NDArray causalMask(NDManager scope, int start, int t) {
        int length = start + t;
        if ((long) t * length > Integer.MAX_VALUE) {
            throw new InferenceException("prefill chunk of " + t + " tokens at position " + start + " is too large");
        }
        float[] mask = new float[t * length];
        for (int i = 0; i < t; i++) {
            for (int j = start + i + 1; j < length; j++) {
                mask[i * length + j] = Float.NEGATIVE_INFINITY;
            }
        }
        return scope.create(mask, new Shape(t, length));
    }

    /**
     * The two F32 weights [out1, in] and [out2, in] as one [out1 + out2, in] view when the second starts where the
     * first ends in the same file (safetensors orders tensors by name: gate_proj, up_proj), mapped once more over
     * the same bytes (page cache, no copy); null when they are not adjacent or there is no row-block view.
     */
    private Projection adjacentPair(Checkpoint checkpoint, String first, String second) {
        TensorInfo a = checkpoint.tensor(first);
        TensorInfo b = checkpoint.tensor(second);
        SafetensorsFile file = checkpoint.fileOf(first);
        if (GEMV_BLOCKS < 2 || file != checkpoint.fileOf(second) || a.dtype() != TensorDType.F32
                || b.dtype() != TensorDType.F32 || a.shape().length != 2 || b.shape().length != 2
                || a.shape()[1] != b.shape()[1] || a.shape()[0] != b.shape()[0]
                || a.fileOffsetBytes() + a.sizeBytes() != b.fileOffsetBytes()
                || (a.shape()[0] + b.shape()[0]) % GEMV_BLOCKS != 0) {
            return null;
        }
        ByteBuffer buffer = file.mapRange(first + "+" + second, a.fileOffsetBytes(), a.sizeBytes() + b.sizeBytes());
        mappedBuffers.add(buffer);
        NDArray both = manager.create(buffer, new Shape(a.shape()[0] + b.shape()[0], a.shape()[1]),
                DataType.FLOAT32);
        return Projection.of(both, null, aliases, 1, 1);
    }

    private NDArray weight(Checkpoint checkpoint, String name) {
        TensorInfo info = checkpoint.tensor(name);
        ByteBuffer buffer = checkpoint.map(name);
        Shape shape = new Shape(info.shape());
        switch (info.dtype()) {
            case F32:
                mappedBuffers.add(buffer);
                // Zero-copy: the tensor aliases the READ_ONLY map, so weights cost page cache, not heap.
                return manager.create(buffer, shape, DataType.FLOAT32);
            case F16:
            case BF16:
                return widenToF32(buffer, shape, info.dtype());
            default:
                throw new IllegalStateException("unchecked dtype " + info.dtype() + " for " + name);
        }
    }

    /**
     * For now half-precision weights are widened once into an F32 copy in the model's manager: exact and simple, at
     * twice the memory; computing in F16/BF16 directly is a later optimisation. Widening runs in Java through a
     * small reused buffer, because DJL's PyTorch JNI aborts the process when wrapping BF16 memory.
     */
    private NDArray widenToF32(ByteBuffer halves, Shape shape, TensorDType dtype) {
        NDArray out = manager.create(shape, DataType.FLOAT32);
        long count = shape.size();
        ByteBuffer chunk = ByteBuffer.allocateDirect(WIDEN_CHUNK_ELEMENTS * Float.BYTES).order(ByteOrder.nativeOrder());
        try (NDManager scratch = manager.newSubManager()) {
            NDArray flat = out.reshape(count); // a view: writes land in out
            flat.attach(scratch);
            for (long at = 0; at < count; at += WIDEN_CHUNK_ELEMENTS) {
                int n = (int) Math.min(WIDEN_CHUNK_ELEMENTS, count - at);
                chunk.clear();
                for (int i = 0; i < n; i++) {
                    short bits = halves.getShort((int) ((at + i) * 2));
                    chunk.putFloat(dtype == TensorDType.F16 ? HalfFloats.f16ToFloat(bits) : HalfFloats.bf16ToFloat(bits));
                }
                chunk.flip();
                try (NDArray part = scratch.create(chunk, new Shape(n), DataType.FLOAT32)) {
                    flat.set(new NDIndex("{}:{}", at, at + n), part);
                }
            }
        }
        return out;
    }

    /** cos/sin of position × inverse frequency, [maxPositions, headDim], computed in double and rounded once. */
    private static float[][] ropeTables(int maxPositions, int headDim, double[] inverseFrequency) {
        int half = headDim / 2;
        float[] cos = new float[maxPositions * headDim];
        float[] sin = new float[maxPositions * headDim];
        for (int p = 0; p < maxPositions; p++) {
            for (int i = 0; i < half; i++) {
                double angle = p * inverseFrequency[i];
                float c = (float) Math.cos(angle);
                float s = (float) Math.sin(angle);
                cos[p * headDim + i] = c;
                cos[p * headDim + i + half] = c;
                sin[p * headDim + i] = s;
                sin[p * headDim + i + half] = s;
            }
        }
        return new float[][] {cos, sin};
    }

    /** R with x·R = rotate_half(x) = concat(-x[d/2:], x[:d/2]). */
    private static NDArray rotateHalfMatrix(NDManager manager, int headDim) {
        int half = headDim / 2;
        float[] r = new float[headDim * headDim];
        for (int j = 0; j < half; j++) {
            r[(j + half) * headDim + j] = -1f;
            r[j * headDim + j + half] = 1f;
        }
        return manager.create(r, new Shape(headDim, headDim));
    }
}
