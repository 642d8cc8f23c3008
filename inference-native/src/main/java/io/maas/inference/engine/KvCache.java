package io.maas.inference.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/** One sequence's attention keys and values for every layer, preallocated and written in place; single-threaded. */
public final class KvCache implements AutoCloseable {

    // Allocated once for the sequence's whole length: appending with concat would copy the cache every step.

    private final NDManager manager;
    private final NDArray[] keys;
    private final NDArray[] values;
    private final int capacityTokens;
    private int lengthTokens;

    KvCache(NDManager parent, int layers, int capacityTokens, int kvHeads, int headDim) {
        if (capacityTokens < 1) {
            throw new IllegalArgumentException("capacity must be positive");
        }
        this.manager = parent.newSubManager();
        this.capacityTokens = capacityTokens;
        this.keys = new NDArray[layers];
        this.values = new NDArray[layers];
        Shape shape = new Shape(capacityTokens, kvHeads, headDim);
        for (int i = 0; i < layers; i++) {
            // Uninitialised memory is fine: only rows below lengthTokens are ever read.
            keys[i] = manager.create(shape, DataType.FLOAT32);
            values[i] = manager.create(shape, DataType.FLOAT32);
        }
    }

    /** Tokens already in the cache; the next token goes at this position. */
    public int lengthTokens() {
        return lengthTokens;
    }

    public int capacityTokens() {
        return capacityTokens;
    }

    /** Writes keys and values [T, kvHeads, headDim] of one layer at positions [lengthTokens, lengthTokens + T). */
    void write(int layer, NDArray k, NDArray v) {
        NDIndex rows = new NDIndex("{}:{}", lengthTokens, lengthTokens + k.getShape().get(0));
        keys[layer].set(rows, k);
        values[layer].set(rows, v);
    }

    /** Views of one layer's keys and values [length, kvHeads, headDim], owned by {@code scope}. */
    NDArray keys(int layer, NDManager scope, int length) {
        return keys[layer].get(scope, new NDIndex("0:{}", length));
    }

    NDArray values(int layer, NDManager scope, int length) {
        return values[layer].get(scope, new NDIndex("0:{}", length));
    }

    /** Marks {@code tokens} more positions as filled, once every layer has written them. */
    void advance(int tokens) {
        if (lengthTokens + tokens > capacityTokens) {
            throw new IllegalStateException("KV cache overflow");
        }
        lengthTokens += tokens;
    }

    @Override
    public void close() {
        manager.close();
    }
}
