package io.maas.inference.engine;

/**
 * Process-wide DJL/PyTorch defaults (offline, one intra-op thread per core, passive OpenMP waiting) unless the host
 * application or the environment set them.
 */
final class PyTorchSetup {

    /** The OpenMP setting {@link #apply} puts in the process environment when it is not set (docs/adr/0016). */
    static final String OMP_WAIT_POLICY = "OMP_WAIT_POLICY";

    static final String THREADS_PROPERTY = "ai.djl.pytorch.num_threads";
    static final String INTEROP_THREADS_PROPERTY = "ai.djl.pytorch.num_interop_threads";
    static final String OFFLINE_PROPERTY = "ai.djl.offline";

    private PyTorchSetup() {
    }

    private static boolean applied;

    static synchronized void apply() {
        if (!applied) {
            applied = true;
            passiveOpenMpWaiting();
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
        int threads;
        try {
            threads = Math.max(1, Integer.parseInt(System.getProperty(THREADS_PROPERTY, "1").trim()));
        } catch (NumberFormatException e) {
            threads = cores();
        }
        return Math.max(1, cores() / threads);
    }

    /**
     * Makes PyTorch's OpenMP threads sleep at barriers instead of spinning (docs/adr/0016-openmp-passive-wait.md):
     * one scheduler thread owns one OpenMP team, and libgomp then spins actively at every barrier of every op; as
     * soon as anything else wants the cores (the gateway's own HTTP and Kafka threads, a noisy neighbour), one of
     * the two spinning threads is descheduled and the other burns its time slice waiting for it. Measured on 2
     * cores under load: 1-7 requests/s through the scheduler spinning, 130-990 passive. libgomp reads the variable
     * once, when PyTorch's native library is loaded, so this must run first; it only sets the variable when the
     * environment does not (an operator's {@code OMP_WAIT_POLICY=ACTIVE} wins), and only on Linux through libc.
     */
    private static void passiveOpenMpWaiting() {
        if (System.getenv(OMP_WAIT_POLICY) != null || !System.getProperty("os.name", "").startsWith("Linux")) {
            return;
        }
        try {
            LibC.INSTANCE.setenv(OMP_WAIT_POLICY, "PASSIVE", 0);
        } catch (LinkageError | RuntimeException e) {
            // No JNA or no libc: OpenMP keeps its default; OMP_WAIT_POLICY=PASSIVE in the environment does the same.
            System.getLogger(PyTorchSetup.class.getName()).log(System.Logger.Level.WARNING,
                    "could not set " + OMP_WAIT_POLICY + "=PASSIVE: " + e);
        }
    }

    /** The C library's environment, through JNA (a dependency of DJL itself). */
    private interface LibC extends com.sun.jna.Library {
        LibC INSTANCE = com.sun.jna.Native.load("c", LibC.class);

        int setenv(String name, String value, int overwrite);

        String getenv(String name);
    }

    /** The OpenMP wait policy libgomp will read (or has read): the environment's, or the one {@link #apply} set. */
    static String ompWaitPolicy() {
        String fromJava = System.getenv(OMP_WAIT_POLICY);
        if (fromJava != null) {
            return fromJava;
        }
        try {
            return LibC.INSTANCE.getenv(OMP_WAIT_POLICY);
        } catch (LinkageError | RuntimeException e) {
            return null;
        }
    }

    private static int cores() {
        return Runtime.getRuntime().availableProcessors();
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }
}
