package io.maas.inference.scheduler;

/**
 * Bounds of a {@link BatchScheduler}: sequences decoded together per step, KV cache positions reserved by running
 * sequences (prompt + max_tokens each), and requests waiting for admission before new ones are refused.
 */
public record SchedulerConfig(int maxBatchSize, long maxTokensInFlight, int maxQueueLength) {

    /** 16 sequences, 65,536 reserved positions, 256 waiting. */
    public static final SchedulerConfig DEFAULT = new SchedulerConfig(16, 65_536, 256);

    public SchedulerConfig {
        if (maxBatchSize < 1) {
            throw new IllegalArgumentException("maxBatchSize must be at least 1, was " + maxBatchSize);
        }
        if (maxTokensInFlight < 1) {
            throw new IllegalArgumentException("maxTokensInFlight must be at least 1, was " + maxTokensInFlight);
        }
        if (maxQueueLength < 0) {
            throw new IllegalArgumentException("maxQueueLength must not be negative, was " + maxQueueLength);
        }
    }
}
