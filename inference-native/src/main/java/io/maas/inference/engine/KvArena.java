package io.maas.inference.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Keys and values of many sequences in one preallocated cache per layer, [slots, kvHeads, capacity, headDim]: each
 * sequence owns a slot, so a decode step attends for the whole batch with a few batched ops instead of a few ops
 * per sequence.
 */
final class KvArena implements AutoCloseable {

    // Growth (more slots, or longer slots) reallocates and copies; it happens only when a cache is allocated, under
    // the write lock, while forward steps hold the read lock for their whole duration. Zero-filled, not
    // uninitialised: a batched step reads every slot up to the longest row, masked, and 0 * garbage could be NaN.

    private static final int MIN_SLOTS = 4;
    private static final int MIN_TOKENS = 64;

    private final NDManager parent;
    private final int layers;
    private final int kvHeads;
    private final int headDim;
    private final int maxSlots;
    private final long maxBytes;
    private final boolean shared;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private NDManager manager;
    private NDArray[] keys;
    private NDArray[] values;
    /** The same memory as keys/values viewed as rows [slots * kvHeads * capacity, headDim], for one-op writes. */
    private NDArray[] keyRows;
    private NDArray[] valueRows;
    /** The keys viewed as [slots, kvHeads, headDim, capacity]: a decode step's scores need no transpose of its own. */
    private NDArray[] keysTransposed;
    private int slots;
    private int capacity;
    private KvCache[] owners = new KvCache[0];
    private int used;

    private KvArena(NDManager parent, int layers, int kvHeads, int headDim, int maxSlots, long maxBytes,
                    boolean shared) {
        this.parent = parent;
        this.layers = layers;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.maxSlots = maxSlots;
        this.maxBytes = maxBytes;
        this.shared = shared;
    }

    /** A shared arena of at most {@code maxSlots} slots and {@code maxBytes} of keys and values together. */
    static KvArena shared(NDManager parent, int layers, int kvHeads, int headDim, int maxSlots, long maxBytes) {
        return new KvArena(parent, layers, kvHeads, headDim, maxSlots, maxBytes, true);
    }

    /** A single cache of exactly {@code capacityTokens} in its own arena, freed with the cache. */
    static KvCache standalone(NDManager parent, int layers, int kvHeads, int headDim, int capacityTokens) {
        KvArena arena = new KvArena(parent, layers, kvHeads, headDim, 1, Long.MAX_VALUE, false);
        arena.lock.writeLock().lock();
        try {
            arena.grow(1, capacityTokens);
            return arena.claim(0, capacityTokens);
        } finally {
            arena.lock.writeLock().unlock();
        }
    }

    /** A cache in a free slot, growing the arena if needed; null when the limits do not allow it. */
    KvCache allocate(int capacityTokens) {
        lock.writeLock().lock();
        try {
            int slot = 0;
            while (slot < slots && owners[slot] != null) {
                slot++;
            }
            if (slot >= maxSlots) {
                return null;
            }
            int newSlots = Math.min(maxSlots, Math.max(slots, Math.max(MIN_SLOTS, powerOfTwoAtLeast(slot + 1))));
            int newCapacity = Math.max(capacity, Math.max(MIN_TOKENS, powerOfTwoAtLeast(capacityTokens)));
            if ((double) newSlots * newCapacity * bytesPerToken() > maxBytes) {
                newCapacity = Math.max(capacity, capacityTokens); // try an exact fit before giving up
                if ((double) newSlots * newCapacity * bytesPerToken() > maxBytes) {
                    return null;
                }
            }
            if (newSlots != slots || newCapacity != capacity) {
                grow(newSlots, newCapacity);
            }
            return claim(slot, capacityTokens);
        } finally {
            lock.writeLock().unlock();
        }
    }

    private KvCache claim(int slot, int capacityTokens) {
        KvCache cache = new KvCache(this, slot, capacityTokens);
        owners[slot] = cache;
        used++;
        return cache;
    }

    /**
     * Returns a cache's slot; the last one out frees the arena's memory. The sequence in the highest slot moves
     * into the freed one, so the slots in use stay [0, used): a decode batch then reads them as one view, not as a
     * gather (a few ops and one slot's copy per finished sequence, instead of copies every step).
     */
    void free(KvCache cache) {
        lock.writeLock().lock();
        try {
            int slot = cache.slot();
            if (slot >= owners.length || owners[slot] != cache) {
                return;
            }
            owners[slot] = null;
            used--;
            if (used == 0) {
                release();
                return;
            }
            int last = owners.length - 1;
            while (last > slot && owners[last] == null) {
                last--;
            }
            if (shared && last > slot) {
                NDIndex from = new NDIndex("{}", last);
                NDIndex to = new NDIndex("{}", slot);
                for (int i = 0; i < layers; i++) {
                    try (NDArray k = keys[i].get(from); NDArray v = values[i].get(from)) {
                        keys[i].set(to, k);
                        values[i].set(to, v);
                    }
                }
                owners[slot] = owners[last];
                owners[last] = null;
                owners[slot].moveTo(slot);
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Held by a forward step for its whole duration: the arrays do not move meanwhile. */
    ReentrantReadWriteLock.ReadLock readLock() {
        return lock.readLock();
    }

    boolean isShared() {
        return shared;
    }

    /** [slots, kvHeads, capacity, headDim] of one layer; valid under the read lock. */
    NDArray keys(int layer) {
        return keys[layer];
    }

    NDArray values(int layer) {
        return values[layer];
    }

    NDArray keysTransposed(int layer) {
        return keysTransposed[layer];
    }

    int headDim() {
        return headDim;
    }

    NDArray keyRows(int layer) {
        return keyRows[layer];
    }

    NDArray valueRows(int layer) {
        return valueRows[layer];
    }

    int slots() {
        return slots;
    }

    int capacity() {
        return capacity;
    }

    int kvHeads() {
        return kvHeads;
    }

    private long bytesPerToken() {
        return 2L * layers * kvHeads * headDim * Float.BYTES;
    }

    private void grow(int newSlots, int newCapacity) {
        NDManager next = parent.newSubManager();
        Shape shape = new Shape(newSlots, kvHeads, newCapacity, headDim);
        NDArray[] k = new NDArray[layers];
        NDArray[] v = new NDArray[layers];
        NDArray[] kr = new NDArray[layers];
        NDArray[] vr = new NDArray[layers];
        NDArray[] kt = new NDArray[layers];
        try {
            for (int i = 0; i < layers; i++) {
                k[i] = next.zeros(shape, DataType.FLOAT32);
                v[i] = next.zeros(shape, DataType.FLOAT32);
                if (keys != null) {
                    NDIndex old = new NDIndex("0:{}, :, 0:{}", slots, capacity);
                    k[i].set(old, keys[i]);
                    v[i].set(old, values[i]);
                }
                kr[i] = k[i].reshape((long) newSlots * kvHeads * newCapacity, headDim);
                vr[i] = v[i].reshape((long) newSlots * kvHeads * newCapacity, headDim);
                kt[i] = k[i].transpose(0, 1, 3, 2);
            }
        } catch (RuntimeException | Error e) {
            next.close();
            throw e;
        }
        if (manager != null) {
            manager.close();
        }
        manager = next;
        keys = k;
        values = v;
        keyRows = kr;
        valueRows = vr;
        keysTransposed = kt;
        KvCache[] o = new KvCache[newSlots];
        System.arraycopy(owners, 0, o, 0, Math.min(owners.length, newSlots));
        owners = o;
        slots = newSlots;
        capacity = newCapacity;
    }

    private void release() {
        if (manager != null) {
            manager.close();
        }
        manager = null;
        keys = null;
        values = null;
        keyRows = null;
        valueRows = null;
        keysTransposed = null;
        owners = new KvCache[0];
        slots = 0;
        capacity = 0;
    }

    private static int powerOfTwoAtLeast(int n) {
        int p = 1;
        while (p < n) {
            p <<= 1;
        }
        return p;
    }

    /** Frees the memory whatever the slots (the model is closing). */
    @Override
    public void close() {
        lock.writeLock().lock();
        try {
            used = 0;
            release();
        } finally {
            lock.writeLock().unlock();
        }
    }
}
