package io.maas.inference.engine;

/** Orders token ids by score, highest first with ties to the lower id, without boxing (top-k, top-p, logprobs). */
final class TopTokens {

    private TopTokens() {
    }

    /** The {@code k} ids of {@code values[0..n)} with the highest values, best first; ties to the lower id. */
    static int[] top(float[] values, int n, int k) {
        if (k < 0 || k > n) {
            throw new IllegalArgumentException("k = " + k + " of " + n);
        }
        if (k == 0) {
            return new int[0];
        }
        if ((long) k * 4 >= n) {
            int[] all = new int[n];
            for (int i = 0; i < n; i++) {
                all[i] = i;
            }
            sortDescending(all, n, values);
            return java.util.Arrays.copyOf(all, k);
        }
        // A min-heap of the best k so far: O(n log k), and k is small here.
        int[] heap = new int[k];
        int size = 0;
        for (int id = 0; id < n; id++) {
            if (size < k) {
                heap[size] = id;
                siftUp(heap, size++, values);
            } else if (k > 0 && better(id, heap[0], values)) {
                heap[0] = id;
                siftDown(heap, size, values);
            }
        }
        int[] out = new int[k];
        for (int i = k - 1; i >= 0; i--) {
            out[i] = heap[0];
            heap[0] = heap[--size];
            siftDown(heap, size, values);
        }
        return out;
    }

    /** Sorts {@code ids[0..n)} by value, highest first; stable, so ids already in ascending order break ties low. */
    static void sortDescending(int[] ids, int n, float[] values) {
        if (n < 2) {
            return;
        }
        int[] buffer = new int[n];
        for (int width = 1; width < n; width *= 2) {
            for (int lo = 0; lo < n - width; lo += 2 * width) {
                int mid = lo + width;
                int hi = Math.min(lo + 2 * width, n);
                int i = lo;
                int j = mid;
                int o = lo;
                while (i < mid && j < hi) {
                    // Take from the right only when strictly greater: keeps the sort stable.
                    buffer[o++] = values[ids[j]] > values[ids[i]] ? ids[j++] : ids[i++];
                }
                while (i < mid) {
                    buffer[o++] = ids[i++];
                }
                while (j < hi) {
                    buffer[o++] = ids[j++];
                }
                System.arraycopy(buffer, lo, ids, lo, hi - lo);
            }
        }
    }

    /** Whether id a ranks above id b: higher value, or equal value and lower id. */
    private static boolean better(int a, int b, float[] values) {
        return values[a] > values[b] || (values[a] == values[b] && a < b);
    }

    private static void siftUp(int[] heap, int i, float[] values) {
        while (i > 0) {
            int parent = (i - 1) / 2;
            if (!better(heap[parent], heap[i], values)) {
                return;
            }
            swap(heap, i, parent);
            i = parent;
        }
    }

    private static void siftDown(int[] heap, int size, float[] values) {
        int i = 0;
        while (true) {
            int left = 2 * i + 1;
            int worst = i;
            if (left < size && better(heap[worst], heap[left], values)) {
                worst = left;
            }
            if (left + 1 < size && better(heap[worst], heap[left + 1], values)) {
                worst = left + 1;
            }
            if (worst == i) {
                return;
            }
            swap(heap, i, worst);
            i = worst;
        }
    }

    private static void swap(int[] a, int i, int j) {
        int t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}
