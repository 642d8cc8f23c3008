package io.maas.gateway.routing;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.BiPredicate;
import java.util.function.Function;

/**
 * A closed-loop model of the fleet for routing policies: {@code concurrency} requests always in flight, adapters
 * drawn from a Zipf distribution, each worker keeping an LRU of resident adapters. A request is an affinity hit
 * when its adapter is already resident on the worker it lands on (no cold load). Deterministic for a seed.
 */
final class AffinitySimulation {
    /** How a policy picks a worker; returns the worker and a way to release it. */
    interface Policy {
        Placement place(String key);
    }

    record Placement(String worker, Runnable release) {
    }

    record Result(String policy, double hitRate, double maxLoadOverAverage, int requests) {
    }

    private AffinitySimulation() {
    }

    /** Zipf(s) over {@code n} ranks via the inverse CDF; rank 0 is the hottest. */
    static int[] zipf(int n, double s, int samples, long seed) {
        double[] cdf = new double[n];
        double sum = 0;
        for (int k = 1; k <= n; k++) {
            sum += 1 / Math.pow(k, s);
            cdf[k - 1] = sum;
        }
        Random random = new Random(seed);
        int[] draws = new int[samples];
        for (int i = 0; i < samples; i++) {
            double u = random.nextDouble() * sum;
            int lo = 0;
            int hi = n - 1;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (cdf[mid] < u) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            draws[i] = lo;
        }
        return draws;
    }

    static Result run(String name, Policy policy, List<String> workers, int[] adapters, int concurrency,
            int residentPerWorker) {
        return run(name, (BiPredicate<String, String> residency) -> policy, workers, adapters, concurrency,
                residentPerWorker);
    }

    /**
     * As {@link #run(String, Policy, List, int[], int, int)} for a policy that sees, as a worker's status would
     * report it, whether a key's adapter is resident on a worker ({@code residency.test(worker, key)}).
     */
    static Result run(String name, Function<BiPredicate<String, String>, Policy> policyFactory, List<String> workers,
            int[] adapters, int concurrency, int residentPerWorker) {
        Map<String, LinkedHashMap<Integer, Boolean>> resident = new HashMap<>();
        // containsKey does not touch the access order: looking does not count as a use.
        Policy policy = policyFactory.apply((worker, key) -> resident.get(worker)
                .containsKey(Integer.parseInt(key.substring(key.lastIndexOf('-') + 1))));
        Map<String, Integer> load = new HashMap<>();
        for (String w : workers) {
            resident.put(w, new LinkedHashMap<>(16, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<Integer, Boolean> eldest) {
                    return size() > residentPerWorker;
                }
            });
            load.put(w, 0);
        }
        ArrayDeque<Placement> inFlight = new ArrayDeque<>();
        int hits = 0;
        double worstRatio = 0;
        for (int adapter : adapters) {
            if (inFlight.size() == concurrency) {
                Placement done = inFlight.poll();
                done.release().run();
                load.merge(done.worker(), -1, Integer::sum);
            }
            Placement placement = policy.place("base:adapter-" + adapter);
            LinkedHashMap<Integer, Boolean> cache = resident.get(placement.worker());
            if (cache.get(adapter) != null) {
                hits++;
            } else {
                cache.put(adapter, Boolean.TRUE);
            }
            inFlight.add(placement);
            load.merge(placement.worker(), 1, Integer::sum);
            if (inFlight.size() == concurrency) {
                int max = load.values().stream().mapToInt(Integer::intValue).max().orElse(0);
                worstRatio = Math.max(worstRatio, max / ((double) concurrency / workers.size()));
            }
        }
        return new Result(name, hits / (double) adapters.length, worstRatio, adapters.length);
    }

    static Policy boundedAffinity(List<String> workers, int loadFactorPercent) {
        AffinityRouter router = new AffinityRouter(AffinityRouter.DEFAULT_VIRTUAL_NODES, loadFactorPercent);
        router.setWorkers(workers);
        return key -> {
            AffinityRouter.Lease lease = router.acquire(key, Set.of()).orElseThrow();
            return new Placement(lease.worker(), lease::close);
        };
    }

    /** Bounded-load affinity that prefers, under the bound, a worker where the adapter is resident. */
    static Function<BiPredicate<String, String>, Policy> boundedResidentAffinity(List<String> workers,
            int loadFactorPercent) {
        return residency -> {
            AffinityRouter router = new AffinityRouter(AffinityRouter.DEFAULT_VIRTUAL_NODES, loadFactorPercent);
            router.setWorkers(workers);
            return key -> {
                AffinityRouter.Lease lease = router.acquire(key, Set.of(), w -> residency.test(w, key)).orElseThrow();
                return new Placement(lease.worker(), lease::close);
            };
        };
    }

    static Policy roundRobin(List<String> workers) {
        int[] next = {0};
        return key -> new Placement(workers.get(next[0]++ % workers.size()), () -> {
        });
    }

    static Policy leastLoaded(List<String> workers) {
        Map<String, Integer> load = new HashMap<>();
        workers.forEach(w -> load.put(w, 0));
        return key -> {
            String best = workers.get(0);
            for (String w : workers) {
                if (load.get(w) < load.get(best)) {
                    best = w;
                }
            }
            String chosen = best;
            load.merge(chosen, 1, Integer::sum);
            return new Placement(chosen, () -> load.merge(chosen, -1, Integer::sum));
        };
    }

    static List<String> workers(int count) {
        List<String> workers = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            workers.add("worker-" + i);
        }
        return workers;
    }
}
