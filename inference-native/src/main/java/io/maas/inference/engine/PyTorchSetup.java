package io.maas.inference.engine;

/** Process-wide DJL/PyTorch defaults (offline, one intra-op thread per core) unless the host application set them. */
final class PyTorchSetup {

    static final String THREADS_PROPERTY = "ai.djl.pytorch.num_threads";
    static final String INTEROP_THREADS_PROPERTY = "ai.djl.pytorch.num_interop_threads";
    static final String OFFLINE_PROPERTY = "ai.djl.offline";

    private PyTorchSetup() {
    }

    static synchronized void apply() {
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

    private static int cores() {
        return Runtime.getRuntime().availableProcessors();
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }
}
