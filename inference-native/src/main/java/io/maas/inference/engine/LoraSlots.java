package io.maas.inference.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.maas.inference.lora.LoraAdapter;
import io.maas.inference.lora.LoraTarget;

/**
 * LoRA matrices stacked by KV-arena slot: slot s holds the adapter of the sequence in slot s (zeros for the bare
 * base or an untargeted projection), so a decode step applies every row's own adapter with one pair of batched
 * matmuls per projection over the same slot range its attention reads. Row i only ever multiplies slot i's
 * matrices: adapters stay isolated.
 */
final class LoraSlots implements AutoCloseable {

    // A slot is rewritten only when the adapter of the sequence in it changes (a new sequence took the slot), so
    // the copy costs one adapter's size per admitted request, not a gather of every row's adapter every step.
    // Padding to the largest rank is exact: zero rows of A and zero columns of B add nothing.

    private final NDManager manager;
    private final int layers;
    private final int slots;
    private final int rank;
    /** [layer][target] → A [slots, rank, in] and s·B [slots, out, rank]; null until an adapter targets it. */
    private final NDArray[][] at;
    private final NDArray[][] bt;
    private final LoraAdapter[] slotAdapter;
    /** Whether slot s may hold non-zero matrices (a previous adapter's). */
    private final boolean[] dirty;
    private int viewFirst = -1;
    private int viewCount;
    private NDArray[][] atView;
    private NDArray[][] btView;

    LoraSlots(NDManager parent, int layers, int slots, int rank) {
        this.manager = parent.newSubManager();
        this.layers = layers;
        this.slots = slots;
        this.rank = rank;
        this.at = new NDArray[layers][LoraTarget.values().length];
        this.bt = new NDArray[layers][LoraTarget.values().length];
        this.slotAdapter = new LoraAdapter[slots];
        this.dirty = new boolean[slots];
    }

    /** Whether these stacks can take a batch over {@code slotCount} arena slots with adapters up to {@code r}. */
    boolean fits(int slotCount, int r) {
        return slotCount <= slots && r <= rank;
    }

    /** Makes slot {@code slot} hold {@code adapter} (null: the bare base), copying its matrices if it changed. */
    void assign(int slot, LoraAdapter adapter) {
        if (slotAdapter[slot] == adapter && (adapter == null || !adapter.isClosed())) {
            return;
        }
        if (dirty[slot]) {
            for (int layer = 0; layer < layers; layer++) {
                for (LoraTarget target : LoraTarget.values()) {
                    if (at[layer][target.ordinal()] != null) {
                        at[layer][target.ordinal()].set(new NDIndex("{}", slot), 0f);
                        bt[layer][target.ordinal()].set(new NDIndex("{}", slot), 0f);
                    }
                }
            }
            dirty[slot] = false;
        }
        slotAdapter[slot] = adapter;
        if (adapter == null) {
            return;
        }
        int r = adapter.rank();
        // No op takes an adapter's matrix as its first operand: the result would land in the adapter's manager.
        try (NDManager scratch = manager.newSubManager()) {
            for (int layer = 0; layer < layers; layer++) {
                for (LoraTarget target : LoraTarget.values()) {
                    NDArray a = adapter.matrixA(layer, target);
                    if (a == null) {
                        continue;
                    }
                    NDArray b = adapter.matrixB(layer, target);
                    int t = target.ordinal();
                    if (at[layer][t] == null) {
                        at[layer][t] = manager.zeros(new Shape(slots, rank, a.getShape().get(1)), DataType.FLOAT32);
                        bt[layer][t] = manager.zeros(new Shape(slots, b.getShape().get(0), rank), DataType.FLOAT32);
                        viewFirst = -1;
                    }
                    at[layer][t].set(new NDIndex("{}, 0:{}, :", slot, r), a);
                    NDIndex region = new NDIndex("{}, :, 0:{}", slot, r);
                    bt[layer][t].set(region, b);
                    bt[layer][t].get(scratch, region).muli((float) adapter.scale()); // in place, in the stack
                }
            }
        }
        dirty[slot] = true;
    }

    /**
     * {@code y + s·(x·Aᵀ)·Bᵀ} per row for a batch over arena slots [first, first + B) in order: {@code x3} [B, 1, in]
     * is the projection's input, {@code y} [B, out] its base output; the result lives in x3's manager.
     */
    NDArray apply(int layer, LoraTarget target, int first, NDArray x3, NDArray y) {
        int t = target.ordinal();
        if (at[layer][t] == null) {
            return y;
        }
        int b = (int) x3.getShape().get(0);
        if (viewFirst != first || viewCount != b) {
            views(first, b);
        }
        NDArray delta = x3.matMul(atView[layer][t]).matMul(btView[layer][t]);
        return y.add(delta.reshape(y.getShape()));
    }

    /** As {@link #apply(int, LoraTarget, int, NDArray, NDArray)} for rows in the slots listed (gathered: copies). */
    NDArray apply(int layer, LoraTarget target, NDArray slotList, NDArray x3, NDArray y) {
        int t = target.ordinal();
        if (at[layer][t] == null) {
            return y;
        }
        NDIndex rows = new NDIndex("{}", slotList);
        NDArray delta = x3.matMul(at[layer][t].get(x3.getManager(), rows).transpose(0, 2, 1))
                .matMul(bt[layer][t].get(x3.getManager(), rows).transpose(0, 2, 1));
        return y.add(delta.reshape(y.getShape()));
    }

    /** The slot-range views of every stack, kept while steps run over the same slots. */
    private void views(int first, int b) {
        if (atView != null) {
            for (NDArray[] row : atView) {
                closeAll(row);
            }
            for (NDArray[] row : btView) {
                closeAll(row);
            }
        }
        atView = new NDArray[layers][LoraTarget.values().length];
        btView = new NDArray[layers][LoraTarget.values().length];
        NDIndex range = new NDIndex("{}:{}", first, first + b);
        for (int layer = 0; layer < layers; layer++) {
            for (int t = 0; t < LoraTarget.values().length; t++) {
                if (at[layer][t] != null) {
                    atView[layer][t] = transposedView(at[layer][t], range);
                    btView[layer][t] = transposedView(bt[layer][t], range);
                }
            }
        }
        viewFirst = first;
        viewCount = b;
    }

    /** stack[range] with its last two axes swapped, as one array handle (the intermediate view is let go). */
    private NDArray transposedView(NDArray stack, NDIndex range) {
        try (NDArray rows = stack.get(manager, range)) {
            return rows.transpose(0, 2, 1);
        }
    }

    private static void closeAll(NDArray[] arrays) {
        for (NDArray a : arrays) {
            if (a != null) {
                a.close();
            }
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
