package io.maas.inference.engine;

import ai.djl.pytorch.jni.JniUtils;

import java.util.function.Function;

/**
 * Process-wide DJL/PyTorch defaults (offline, one intra-op thread per core, bounded OpenMP spinning) unless the host
 * application or the environment set them.
 */
final class PyTorchSetup {

    /** libgomp's wait policy; when the environment sets it, {@link #apply} leaves OpenMP's waiting alone. */
    static final String OMP_WAIT_POLICY = "OMP_WAIT_POLICY";

    /** libgomp's spins at a barrier before it sleeps; {@link #apply} sets it when neither variable is set. */
    static final String GOMP_SPINCOUNT = "GOMP_SPINCOUNT";

    /** The bounded spin the engine chooses (docs/adr/0020-openmp-bounded-spin.md). */
    static final String DEFAULT_SPIN_COUNT = "1000";

    static final String THREADS_PROPERTY = "ai.djl.pytorch.num_threads";
    static final String INTEROP_THREADS_PROPERTY = "ai.djl.pytorch.num_interop_threads";
    static final String OFFLINE_PROPERTY = "ai.djl.offline";

    private PyTorchSetup() {
    }

    private static boolean applied;

    static synchronized void apply() {
        if (!applied) {
            applied = true;
            boundedOpenMpSpinning();
        }
        // The engine never downloads anything (the native library ships in a jar); without offline mode DJL
        // also calls a cloud metadata address on start.
        setIfAbsent(OFFLINE_PROPERTY, "true");
        setIfAbsent(THREADS_PROPERTY, Integer.toString(cores()));
        // Inter-op threads only serve TorchScript forks, which this engine does not use.
        setIfAbsent(INTEROP_THREADS_PROPERTY, "1");
    }

    /** Forward steps that may run at once: each uses the intra-op threads, together they must not exceed the cores. */
    static int computeSlots() {
        return Math.max(1, cores() / intraOpThreads());
    }

    /** The configured intra-op threads (PyTorch's {@code ai.djl.pytorch.num_threads}; {@link #apply} defaults it). */
    static int intraOpThreads() {
        String configured = System.getProperty(THREADS_PROPERTY);
        if (configured == null) {
            return cores(); // what apply() will set
        }
        try {
            return Math.max(1, Integer.parseInt(configured.trim()));
        } catch (NumberFormatException e) {
            return cores();
        }
    }

    /** What the calling thread last asked PyTorch for, so a step costs no JNI call when nothing changes. */
    private static final ThreadLocal<int[]> THREADS_OF_THIS_THREAD = ThreadLocal.withInitial(() -> new int[1]);

    /**
     * Makes the ops the calling thread runs next use {@code threads} intra-op threads (docs/adr/0024). PyTorch keeps
     * the count per thread (OpenMP's and MKL's thread-local settings), so each model's steps can have their own
     * without touching another model's scheduler thread.
     */
    static void useThreads(int threads) {
        int[] current = THREADS_OF_THIS_THREAD.get();
        if (current[0] != threads) {
            JniUtils.setNumThreads(threads);
            current[0] = threads;
        }
    }

    /** The calling thread's intra-op threads as PyTorch reports them. */
    static int threadsOfThisThread() {
        return JniUtils.getNumThreads();
    }

    /**
     * The {@code GOMP_SPINCOUNT} to put in the environment, or null when the environment already chose how OpenMP
     * waits (either variable set: an operator's {@code OMP_WAIT_POLICY=ACTIVE} or {@code PASSIVE} wins).
     */
    static String spinCountToSet(Function<String, String> environment) {
        return environment.apply(OMP_WAIT_POLICY) == null && environment.apply(GOMP_SPINCOUNT) == null
                ? DEFAULT_SPIN_COUNT : null;
    }

    /**
     * Bounds how long PyTorch's OpenMP threads spin at a barrier before sleeping (docs/adr/0020-openmp-bounded-spin.md,
     * superseding 0016's passive waiting). One scheduler thread owns one OpenMP team; with libgomp's default (300,000
     * spins) or longer the two team threads spin out their time slices whenever anything else wants a core (SmolLM
     * batch-1 decode 0.0-1.8 tok/s on a loaded 2-core machine vs 7-8 passive); sleeping at once (PASSIVE) costs a
     * futex wake per op instead (12-15 vs 21-24 tok/s on an idle one). 1,000 spins measured as fast as passive under
     * load (10,000 already collapsed) and faster than passive when idle (13-21, median 17 tok/s). libgomp reads the
     * variable once, when PyTorch's native library is loaded, so this must run first; only on Linux, through libc.
     */
    private static void boundedOpenMpSpinning() {
        String spin = spinCountToSet(System::getenv);
        if (spin == null || !System.getProperty("os.name", "").startsWith("Linux")) {
            return;
        }
        try {
            LibC.INSTANCE.setenv(GOMP_SPINCOUNT, spin, 0);
        } catch (LinkageError | RuntimeException e) {
            // No JNA or no libc: OpenMP keeps its default; GOMP_SPINCOUNT in the environment does the same.
            System.getLogger(PyTorchSetup.class.getName()).log(System.Logger.Level.WARNING,
                    "could not set " + GOMP_SPINCOUNT + "=" + spin + ": " + e);
        }
    }

    /** The C library's environment, through JNA (a dependency of DJL itself). */
    private interface LibC extends com.sun.jna.Library {
        LibC INSTANCE = com.sun.jna.Native.load("c", LibC.class);

        int setenv(String name, String value, int overwrite);

        String getenv(String name);
    }

    /** A variable of the process environment as libgomp reads it (not Java's start-up snapshot of it). */
    static String processEnvironment(String name) {
        String fromJava = System.getenv(name);
        if (fromJava != null) {
            return fromJava;
        }
        try {
            return LibC.INSTANCE.getenv(name);
        } catch (LinkageError | RuntimeException e) {
            return null;
        }
    }

    static int cores() {
        return Runtime.getRuntime().availableProcessors();
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }
}
