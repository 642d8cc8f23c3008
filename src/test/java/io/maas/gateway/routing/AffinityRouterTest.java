package io.maas.gateway.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

/** Consistent hashing with bounded loads: affinity when idle, spill past the bound, minimal movement. */
class AffinityRouterTest {
    private static final List<String> THREE = List.of("w-a", "w-b", "w-c");

    private static AffinityRouter router(List<String> workers) {
        AffinityRouter router = new AffinityRouter();
        router.setWorkers(workers);
        return router;
    }

    @Test
    void anIdleFleetSendsAKeyToItsHomeEveryTime() {
        AffinityRouter router = router(THREE);
        String home = router.home("base:legal").orElseThrow();
        for (int i = 0; i < 20; i++) {
            try (AffinityRouter.Lease lease = router.acquire("base:legal", Set.of()).orElseThrow()) {
                assertEquals(home, lease.worker());
            }
        }
    }

    @Test
    void aWorkerReportingTheAdapterResidentIsPreferredUntilItReachesTheBound() {
        AffinityRouter router = router(THREE);
        String home = router.home("base:legal").orElseThrow();
        String resident = THREE.stream().filter(w -> !w.equals(home)).findFirst().orElseThrow();
        List<AffinityRouter.Lease> held = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            held.add(router.acquire("base:legal", Set.of(), resident::equals).orElseThrow());
        }
        Map<String, Integer> loads = router.loads();
        // The resident worker takes the first requests although it is not the home, up to the bound
        // ceil(1.25 × 30 / 3) = 13; then the key spills, as without a preference.
        assertEquals(13, loads.get(resident), loads.toString());
        assertEquals(30, loads.values().stream().mapToInt(Integer::intValue).sum());
        assertTrue(loads.values().stream().allMatch(l -> l <= 13), loads.toString());
        held.forEach(AffinityRouter.Lease::close);
        try (AffinityRouter.Lease lease = router.acquire("base:legal", Set.of(), resident::equals).orElseThrow()) {
            assertEquals(resident, lease.worker(), "idle again: back to the resident worker");
        }
        try (AffinityRouter.Lease lease = router.acquire("base:legal", Set.of(resident), resident::equals)
                .orElseThrow()) {
            assertEquals(home, lease.worker(), "an excluded resident worker is never chosen");
        }
    }

    @Test
    void theRingDependsOnlyOnTheWorkerSet() {
        AffinityRouter one = router(List.of("w-c", "w-a", "w-b"));
        AffinityRouter other = router(THREE);
        for (int i = 0; i < 200; i++) {
            assertEquals(one.home("k" + i), other.home("k" + i));
        }
    }

    @Test
    void aHotKeySpillsOnceItsWorkerCarriesMoreThanItsShareAndNoWorkerExceedsTheBound() {
        AffinityRouter router = router(THREE);
        List<AffinityRouter.Lease> held = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            held.add(router.acquire("base:hot", Set.of()).orElseThrow());
        }
        Map<String, Integer> loads = router.loads();
        // ceil(1.25 × 30 / 3) = 13: the home takes 13, the next worker on the ring 13, the last 4.
        assertEquals(13, loads.values().stream().mapToInt(Integer::intValue).max().orElseThrow(), loads.toString());
        assertEquals(30, loads.values().stream().mapToInt(Integer::intValue).sum());
        assertEquals(13, loads.get(router.home("base:hot").orElseThrow()));
        held.forEach(AffinityRouter.Lease::close);
        assertEquals(Map.of("w-a", 0, "w-b", 0, "w-c", 0), router.loads());
    }

    @Test
    void closingALeaseTwiceGivesBackOneSlot() {
        AffinityRouter router = router(THREE);
        AffinityRouter.Lease first = router.acquire("k", Set.of()).orElseThrow();
        router.acquire("k", Set.of()).orElseThrow();
        first.close();
        first.close();
        assertEquals(1, router.loads().values().stream().mapToInt(Integer::intValue).sum());
    }

    @Test
    void aRetryNeverReturnsToAnExcludedWorkerAndNoWorkerLeftIsEmpty() {
        AffinityRouter router = router(THREE);
        String home = router.home("base:x").orElseThrow();
        AffinityRouter.Lease retry = router.acquire("base:x", Set.of(home)).orElseThrow();
        assertNotEquals(home, retry.worker());
        assertTrue(router.acquire("base:x", Set.copyOf(THREE)).isEmpty());
        assertTrue(router(List.of()).acquire("base:x", Set.of()).isEmpty());
    }

    @Test
    void removingAWorkerMovesOnlyTheKeysItOwned() {
        AffinityRouter router = router(List.of("w-a", "w-b", "w-c", "w-d"));
        Map<String, String> before = new HashMap<>();
        for (int i = 0; i < 1000; i++) {
            before.put("k" + i, router.home("k" + i).orElseThrow());
        }
        router.setWorkers(List.of("w-a", "w-b", "w-c"));
        int moved = 0;
        for (Map.Entry<String, String> e : before.entrySet()) {
            String now = router.home(e.getKey()).orElseThrow();
            if (!e.getValue().equals("w-d")) {
                assertEquals(e.getValue(), now, "a key not on the removed worker moved: " + e.getKey());
            } else {
                moved++;
            }
        }
        // Roughly a quarter of the keys lived on the removed worker (160 virtual nodes: within ±10%).
        assertTrue(moved > 150 && moved < 350, "moved " + moved);
    }

    @Test
    void aLeaseOnAWorkerThatLeftIsHarmlessToClose() {
        AffinityRouter router = router(THREE);
        AffinityRouter.Lease lease = router.acquire("k", Set.of()).orElseThrow();
        router.setWorkers(List.of("w-x"));
        lease.close();
        assertEquals(Map.of("w-x", 0), router.loads());
    }

    @Test
    void nonsensicalSettingsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new AffinityRouter(0, 125));
        assertThrows(IllegalArgumentException.class, () -> new AffinityRouter(160, 100));
    }

    @Test
    void underAZipfMixAffinityKeepsAdaptersResidentFarMoreOftenThanRoundRobinWithinTheLoadBound() {
        List<String> workers = AffinitySimulation.workers(4);
        int[] mix = AffinitySimulation.zipf(100, 1.0, 20_000, 42);
        AffinitySimulation.Result affinity = AffinitySimulation.run("affinity",
                AffinitySimulation.boundedAffinity(workers, 125), workers, mix, 32, 16);
        AffinitySimulation.Result roundRobin = AffinitySimulation.run("round-robin",
                AffinitySimulation.roundRobin(workers), workers, mix, 32, 16);
        assertTrue(affinity.hitRate() > roundRobin.hitRate() + 0.1,
                "affinity " + affinity.hitRate() + " vs round-robin " + roundRobin.hitRate());
        assertTrue(affinity.maxLoadOverAverage() <= 1.25, "max load / average " + affinity.maxLoadOverAverage());
    }

    @Test
    void preferringResidentWorkersKeepsTheLoadBoundAndLosesNoAffinityUnderAZipfMix() {
        List<String> workers = AffinitySimulation.workers(4);
        int[] mix = AffinitySimulation.zipf(100, 1.0, 20_000, 42);
        AffinitySimulation.Result bounded = AffinitySimulation.run("bounded",
                AffinitySimulation.boundedAffinity(workers, 125), workers, mix, 32, 16);
        AffinitySimulation.Result residentFirst = AffinitySimulation.run("bounded+resident",
                AffinitySimulation.boundedResidentAffinity(workers, 125), workers, mix, 32, 16);
        assertTrue(residentFirst.maxLoadOverAverage() <= 1.25, "max load / average " + residentFirst.maxLoadOverAverage());
        assertTrue(residentFirst.hitRate() >= bounded.hitRate(),
                "resident-first " + residentFirst.hitRate() + " vs bounded " + bounded.hitRate());
    }
}
