package io.maas.gateway.routing;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * Picks the worker for a request by consistent hashing with bounded loads (Mirrokni, Thorup and Zadimoghaddam,
 * 2018): a key ({@code base} or {@code base:adapter}) goes to the first worker clockwise from its hash whose
 * in-flight count is under {@code ceil(loadFactor × (inFlight + 1) / workers)}. Requests for one adapter therefore
 * stay on one worker, where the adapter is resident, until that worker carries more than its share; then they
 * spill to the next worker on the ring (always the same one for that key), never to a random one. Adding or
 * removing a worker moves only the keys next to it.
 *
 * <p>Thread-safe; every operation is O(log(workers × virtual nodes)) plus the walk past overloaded workers.
 */
public final class AffinityRouter {
    /** Virtual nodes per worker: enough that 2–16 workers get even shares of the ring (±10%). */
    public static final int DEFAULT_VIRTUAL_NODES = 160;
    /** The bound on a worker's load as a percentage of the average: 125 is the paper's usual c = 1.25. */
    public static final int DEFAULT_LOAD_FACTOR_PERCENT = 125;

    private static final Predicate<String> NO_PREFERENCE = w -> false;

    private final int virtualNodes;
    private final int loadFactorPercent;

    private long[] ringHashes = new long[0];
    private String[] ringWorkers = new String[0];
    private final Map<String, Integer> inFlight = new HashMap<>();
    private int inFlightTotal;

    public AffinityRouter() {
        this(DEFAULT_VIRTUAL_NODES, DEFAULT_LOAD_FACTOR_PERCENT);
    }

    public AffinityRouter(int virtualNodes, int loadFactorPercent) {
        if (virtualNodes < 1 || virtualNodes > 4096) {
            throw new IllegalArgumentException("virtual nodes must be in 1..4096, was " + virtualNodes);
        }
        if (loadFactorPercent <= 100) {
            throw new IllegalArgumentException("load factor must exceed 100%, was " + loadFactorPercent
                    + "% (at 100% every worker is full whenever one is)");
        }
        this.virtualNodes = virtualNodes;
        this.loadFactorPercent = loadFactorPercent;
    }

    /** A worker's hold on one request; closing it (once) gives the slot back. */
    public final class Lease implements AutoCloseable {
        private final String worker;
        private boolean closed;

        private Lease(String worker) {
            this.worker = worker;
        }

        public String worker() {
            return worker;
        }

        @Override
        public void close() {
            synchronized (AffinityRouter.this) {
                if (closed) {
                    return;
                }
                closed = true;
                Integer load = inFlight.get(worker);
                if (load != null && load > 0) {
                    inFlight.put(worker, load - 1);
                    inFlightTotal--;
                }
            }
        }
    }

    /**
     * Replaces the set of live workers. Leases on a worker that left stay valid (closing them is harmless); its
     * in-flight requests stop counting toward the bound.
     */
    public synchronized void setWorkers(Collection<String> workers) {
        TreeSet<String> live = new TreeSet<>(workers);
        long[] hashes = new long[live.size() * virtualNodes];
        String[] owners = new String[hashes.length];
        List<long[]> points = new ArrayList<>(hashes.length);
        List<String> names = new ArrayList<>(live);
        for (int w = 0; w < names.size(); w++) {
            for (int v = 0; v < virtualNodes; v++) {
                points.add(new long[] {hash(names.get(w) + "#" + v), w});
            }
        }
        // Sorted by hash, ties by worker name order: the ring is a pure function of the worker set.
        points.sort((a, b) -> a[0] != b[0] ? Long.compareUnsigned(a[0], b[0]) : Long.compare(a[1], b[1]));
        for (int i = 0; i < points.size(); i++) {
            hashes[i] = points.get(i)[0];
            owners[i] = names.get((int) points.get(i)[1]);
        }
        ringHashes = hashes;
        ringWorkers = owners;
        inFlight.keySet().retainAll(live);
        live.forEach(w -> inFlight.putIfAbsent(w, 0));
        inFlightTotal = inFlight.values().stream().mapToInt(Integer::intValue).sum();
    }

    /** The live workers, sorted. */
    public synchronized List<String> workers() {
        return new ArrayList<>(new TreeSet<>(inFlight.keySet()));
    }

    /** In-flight requests per live worker (a copy). */
    public synchronized Map<String, Integer> loads() {
        return new HashMap<>(inFlight);
    }

    /**
     * Takes a slot on the worker for {@code key}, skipping {@code excluded} workers (those that already failed
     * this request). Empty when no live worker is left.
     */
    public synchronized Optional<Lease> acquire(String key, Set<String> excluded) {
        return acquire(key, excluded, NO_PREFERENCE);
    }

    /**
     * As {@link #acquire(String, Set)}, but among the workers under the bound the first one clockwise that is
     * {@code preferred} (e.g. reports the key's adapter resident) wins over the first one: a resident adapter is
     * reused even when the ring has since moved its key's home. The bound is never exceeded for a preference,
     * so a hot adapter still spills.
     */
    public synchronized Optional<Lease> acquire(String key, Set<String> excluded, Predicate<String> preferred) {
        int eligible = 0;
        for (String worker : inFlight.keySet()) {
            if (!excluded.contains(worker)) {
                eligible++;
            }
        }
        if (eligible == 0) {
            return Optional.empty();
        }
        long bound = boundFor(eligible);
        int start = firstAtOrAfter(hash(key));
        String fallback = null;
        String firstFree = null;
        Set<String> seen = new java.util.HashSet<>();
        for (int i = 0; i < ringHashes.length && seen.size() < eligible; i++) {
            String worker = ringWorkers[(start + i) % ringHashes.length];
            if (excluded.contains(worker) || !seen.add(worker)) {
                continue;
            }
            if (fallback == null) {
                fallback = worker;
            }
            if (inFlight.get(worker) < bound) {
                if (preferred.test(worker)) {
                    return Optional.of(take(worker));
                }
                if (firstFree == null) {
                    firstFree = worker;
                    if (preferred == NO_PREFERENCE) {
                        break;
                    }
                }
            }
        }
        if (firstFree != null) {
            return Optional.of(take(firstFree));
        }
        // Unreachable while the bound exceeds the average, kept so a rounding surprise degrades to affinity.
        return Optional.of(take(fallback));
    }

    /** The worker {@code key} maps to with no load on the ring (its home), for reporting affinity. */
    public synchronized Optional<String> home(String key) {
        if (ringHashes.length == 0) {
            return Optional.empty();
        }
        return Optional.of(ringWorkers[firstAtOrAfter(hash(key)) % ringHashes.length]);
    }

    private Lease take(String worker) {
        inFlight.merge(worker, 1, Integer::sum);
        inFlightTotal++;
        return new Lease(worker);
    }

    /** ceil(c × (load + 1) / n) in integers: the +1 counts the request being placed. */
    private long boundFor(int workers) {
        long numerator = (long) loadFactorPercent * (inFlightTotal + 1);
        long denominator = 100L * workers;
        return Math.max(1, (numerator + denominator - 1) / denominator);
    }

    private int firstAtOrAfter(long hash) {
        // The ring is sorted as unsigned values, so Arrays.binarySearch (signed) does not apply.
        int lo = 0;
        int hi = ringHashes.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (Long.compareUnsigned(ringHashes[mid], hash) < 0) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo == ringHashes.length ? 0 : lo;
    }

    /** 64-bit FNV-1a over UTF-8 with the MurmurHash3 finalizer, so near-identical names spread over the ring. */
    static long hash(String value) {
        long h = 0xcbf29ce484222325L;
        for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h;
    }
}
