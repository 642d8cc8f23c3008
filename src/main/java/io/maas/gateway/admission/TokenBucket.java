package io.maas.gateway.admission;

/**
 * A token bucket refilled continuously at {@code capacity} per minute. Amounts may be returned (settling a
 * reservation that used less than it reserved), never above capacity. Thread-safe.
 */
final class TokenBucket {
    private static final long NANOS_PER_MINUTE = 60_000_000_000L;

    private final long capacity;
    private double available;
    private long refilledAtNanos;

    TokenBucket(long capacity, long nowNanos) {
        this.capacity = capacity;
        this.available = capacity;
        this.refilledAtNanos = nowNanos;
    }

    /** Takes {@code amount} if available; otherwise takes nothing. */
    synchronized boolean tryTake(long amount, long nowNanos) {
        refill(nowNanos);
        if (available < amount) {
            return false;
        }
        available -= amount;
        return true;
    }

    synchronized void giveBack(long amount, long nowNanos) {
        refill(nowNanos);
        available = Math.min(capacity, available + amount);
    }

    synchronized long remaining(long nowNanos) {
        refill(nowNanos);
        return (long) Math.floor(available);
    }

    /** Nanoseconds until {@code amount} is available (0 if it is); amounts above capacity never are. */
    synchronized long nanosUntil(long amount, long nowNanos) {
        refill(nowNanos);
        if (available >= amount) {
            return 0;
        }
        return (long) Math.ceil((amount - available) * NANOS_PER_MINUTE / capacity);
    }

    /** Nanoseconds until the bucket is full again. */
    synchronized long nanosUntilFull(long nowNanos) {
        return nanosUntil(capacity, nowNanos);
    }

    long capacity() {
        return capacity;
    }

    boolean isFull(long nowNanos) {
        return remaining(nowNanos) >= capacity;
    }

    private void refill(long nowNanos) {
        long elapsed = nowNanos - refilledAtNanos;
        if (elapsed > 0) {
            available = Math.min(capacity, available + (double) elapsed * capacity / NANOS_PER_MINUTE);
            refilledAtNanos = nowNanos;
        }
    }
}
