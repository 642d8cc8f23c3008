package io.maas.inference.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.jni.JniUtils;

/**
 * One sequence's attention keys and values for every layer: a slot of a {@link KvArena} ([kvHeads, capacity,
 * headDim] per layer), written in place; single-threaded.
 */
public final class KvCache implements AutoCloseable {

    // Preallocated for the sequence's whole length: appending with concat would copy the cache every step.

    private final KvArena arena;
    private int slot;
    private final int capacityTokens;
    private int lengthTokens;
    private boolean closed;

    KvCache(KvArena arena, int slot, int capacityTokens) {
        if (capacityTokens < 1) {
            throw new IllegalArgumentException("capacity must be positive");
        }
        this.arena = arena;
        this.slot = slot;
        this.capacityTokens = capacityTokens;
    }

    /** Tokens already in the cache; the next token goes at this position. */
    public int lengthTokens() {
        return lengthTokens;
    }

    public int capacityTokens() {
        return capacityTokens;
    }

    KvArena arena() {
        return arena;
    }

    int slot() {
        return slot;
    }

    /** The arena moved this cache's contents to {@code newSlot} (under its write lock). */
    void moveTo(int newSlot) {
        slot = newSlot;
    }

    /**
     * Writes keys and values [T, kvHeads, headDim] of one layer at positions [lengthTokens, lengthTokens + T); the
     * caller holds the arena's read lock.
     */
    void write(int layer, NDArray k, NDArray v) {
        NDIndex rows = new NDIndex("{}, :, {}:{}", slot, lengthTokens, lengthTokens + k.getShape().get(0));
        arena.keys(layer).set(rows, k.transpose(1, 0, 2));
        arena.values(layer).set(rows, v.transpose(1, 0, 2));
    }

    /**
     * Writes one token's keys and values [kvHeads, 1, headDim] of one layer at position lengthTokens: one slice
     * assignment each, without parsing an index (a decode step does this 60 times).
     */
    void writeNext(int layer, NDArray k, NDArray v) {
        long[] min = {slot, 0, lengthTokens, 0};
        long[] max = {slot + 1, arena.kvHeads(), lengthTokens + 1, arena.headDim()};
        long[] step = {1, 1, 1, 1};
        JniUtils.indexSet((PtNDArray) arena.keys(layer), (PtNDArray) k, min, max, step);
        JniUtils.indexSet((PtNDArray) arena.values(layer), (PtNDArray) v, min, max, step);
    }

    /** One layer's keys as a view [1, kvHeads, headDim, length], owned by {@code scope}. */
    NDArray keysTransposed(int layer, NDManager scope, int length) {
        return JniUtils.index((PtNDArray) arena.keysTransposed(layer), new long[] {slot, 0, 0, 0},
                new long[] {slot + 1, arena.kvHeads(), arena.headDim(), length}, new long[] {1, 1, 1, 1},
                (PtNDManager) scope);
    }

    /** One layer's values as a view [1, kvHeads, length, headDim], owned by {@code scope}. */
    NDArray valuesView(int layer, NDManager scope, int length) {
        return JniUtils.index((PtNDArray) arena.values(layer), new long[] {slot, 0, 0, 0},
                new long[] {slot + 1, arena.kvHeads(), length, arena.headDim()}, new long[] {1, 1, 1, 1},
                (PtNDManager) scope);
    }

    /** Views of one layer's keys and values [kvHeads, length, headDim], owned by {@code scope}. */
    NDArray keys(int layer, NDManager scope, int length) {
        return arena.keys(layer).get(scope, new NDIndex("{}, :, 0:{}", slot, length));
    }

    NDArray values(int layer, NDManager scope, int length) {
        return arena.values(layer).get(scope, new NDIndex("{}, :, 0:{}", slot, length));
    }

    /** Marks {@code tokens} more positions as filled, once every layer has written them. */
    void advance(int tokens) {
        if (lengthTokens + tokens > capacityTokens) {
            throw new IllegalStateException("KV cache overflow");
        }
        lengthTokens += tokens;
    }

    /** Returns the slot to the arena; idempotent. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            arena.free(this);
        }
    }
}
