package io.maas.inference.model;

/** SplitMix64: a tiny, fast, fully specified generator, so generated weights are identical on every JVM. */
final class SplitMix64 {

    private long state;

    SplitMix64(long seed) {
        this.state = seed;
    }

    long nextLong() {
        long z = (state += 0x9E3779B97F4A7C15L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Uniform in [-1, 1). */
    float nextSigned() {
        return ((nextLong() >>> 40) * 0x1.0p-24f) * 2f - 1f;
    }

    /** A seed for one named stream, so each tensor's values do not depend on the others' sizes. */
    static long derive(long seed, String name) {
        long h = 0xcbf29ce484222325L; // FNV-1a 64
        for (byte b : name.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
            h = (h ^ (b & 0xff)) * 0x100000001b3L;
        }
        return new SplitMix64(seed ^ h).nextLong();
    }
}
