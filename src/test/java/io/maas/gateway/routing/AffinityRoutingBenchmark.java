package io.maas.gateway.routing;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Issue 10's affinity benchmark: hit rate (adapter already resident where the request lands) under a Zipf mix over
 * 100 adapters, bounded-load affinity against round-robin, least-loaded and unbounded consistent hashing. Run with
 * {@code ./maas bench -pl src -Dtest=AffinityRoutingBenchmark}.
 */
@EnabledIfSystemProperty(named = "benchmarks", matches = "true")
class AffinityRoutingBenchmark {
    @Test
    void hitRateUnderZipf() {
        int adapters = 100;
        int requests = 200_000;
        int concurrency = 32;
        System.out.printf("machine: %d cores, %s; command: ./maas bench -pl src -Dtest=AffinityRoutingBenchmark%n",
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
        for (int workerCount : new int[] {2, 4, 8}) {
            for (int resident : new int[] {8, 16, 32}) {
                for (double s : new double[] {0.8, 1.0, 1.2}) {
                    List<String> workers = AffinitySimulation.workers(workerCount);
                    int[] mix = AffinitySimulation.zipf(adapters, s, requests, 7);
                    var bounded = AffinitySimulation.run("bounded", AffinitySimulation.boundedAffinity(workers, 125),
                            workers, mix, concurrency, resident);
                    var unbounded = AffinitySimulation.run("unbounded",
                            AffinitySimulation.boundedAffinity(workers, 1_000_000), workers, mix, concurrency, resident);
                    var residentFirst = AffinitySimulation.run("bounded+resident",
                            AffinitySimulation.boundedResidentAffinity(workers, 125), workers, mix, concurrency,
                            resident);
                    var rr = AffinitySimulation.run("rr", AffinitySimulation.roundRobin(workers), workers, mix,
                            concurrency, resident);
                    var ll = AffinitySimulation.run("ll", AffinitySimulation.leastLoaded(workers), workers, mix,
                            concurrency, resident);
                    System.out.printf(
                            "workers=%d resident/worker=%d zipf s=%.1f | hit: bounded %.3f (max load %.2f× avg), "
                                    + "bounded+resident-first %.3f (max load %.2f× avg), "
                                    + "unbounded %.3f (max load %.2f× avg), round-robin %.3f, least-loaded %.3f "
                                    + "| bounded/round-robin %.2f×%n",
                            workerCount, resident, s, bounded.hitRate(), bounded.maxLoadOverAverage(),
                            residentFirst.hitRate(), residentFirst.maxLoadOverAverage(),
                            unbounded.hitRate(), unbounded.maxLoadOverAverage(), rr.hitRate(), ll.hitRate(),
                            bounded.hitRate() / rr.hitRate());
                }
            }
        }
    }
}
