package io.maas.gateway.metering;

import static io.maas.gateway.metering.SpoolFormat.FRAME_HEADER_BYTES;
import static io.maas.gateway.metering.SpoolFormat.MIN_PAYLOAD_BYTES;
import static io.maas.gateway.metering.SpoolFormat.SEGMENT_HEADER_BYTES;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import org.jboss.logging.Logger;

/**
 * Durable, bounded local spool of usage events that Kafka cannot take right now, replayed in append order.
 *
 * <p>It stores opaque records (key = tenant id, value = event JSON) in append-only segment files
 * {@code usage-<first sequence>.spool}; the byte layout is in {@link SpoolFormat}. Every record gets the next
 * sequence number, from 1; a sequence is given out again only if its record was lost before it became durable.
 *
 * <p><b>Durability.</b> {@link #append} writes the record to the OS before it returns, and its future completes
 * once a background thread has fsynced it. That thread fsyncs once for every append that arrived within
 * {@code fsyncIntervalMs} of the first unsynced one (group commit), so a busy gateway pays one fsync per interval,
 * not one per request. A process or machine crash loses no record whose future completed; a record whose future
 * had not completed may be lost or may survive. On open, a torn last record is cut off with a warning, while
 * damage a crash cannot explain throws {@link SpoolCorruptException} (see {@link SpoolRecovery}).
 *
 * <p><b>Delivery is at-least-once.</b> {@link #acknowledge} persists the delivered position before it returns,
 * but entries sent to Kafka and not yet acknowledged when the process dies are sent again after restart, and a
 * damaged acknowledgement file replays everything. Downstream dedupes by the event id, so a replay is harmless.
 *
 * <p><b>Bounds.</b> At most {@code maxBytes} on disk ({@link SpoolFullException} beyond, with nothing written);
 * acknowledged entries keep their bytes until their whole segment is delivered and deleted. A record frame may be
 * at most 1 MiB ({@link IllegalArgumentException} beyond). {@link #sync()} and {@link #close()} wait at most
 * {@value #SYNC_TIMEOUT_MS} ms for the disk.
 *
 * <p><b>Threads.</b> Any number of threads may append concurrently; one consumer (the publisher) peeks and
 * acknowledges. Stages chained on an append's future run on the fsync thread unless made async: keep them short
 * and never wait there for another append's future. One spool per directory, guarded by a file lock.
 */
public final class UsageSpool implements AutoCloseable {
    /** A segment this large is closed and a new one started; recovery reads one segment at a time into memory. */
    static final long DEFAULT_SEGMENT_BYTES = 16L * 1024 * 1024;
    static final long MAX_SEGMENT_BYTES = 1024L * 1024 * 1024;
    /** Largest record frame; a usage event is well under a kilobyte, so a bigger one is a bug upstream. */
    static final int DEFAULT_MAX_RECORD_BYTES = 1024 * 1024;
    static final long MAX_FSYNC_INTERVAL_MS = 10_000;
    /** An fsync slower than this means the disk is gone; callers get an error instead of a hang. */
    static final long SYNC_TIMEOUT_MS = 60_000;
    private static final int READ_BUFFER_BYTES = 64 * 1024;

    private static final Logger LOG = Logger.getLogger(UsageSpool.class);

    /** One spooled record. {@code value} is not copied: callers must not change it. */
    public record Entry(long sequence, String key, byte[] value) {
        public Entry {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(value, "value");
        }

        // Records compare arrays by reference; entries are values, so compare the bytes.
        @Override
        public boolean equals(Object o) {
            return o instanceof Entry e && e.sequence == sequence && e.key.equals(key) && Arrays.equals(e.value, value);
        }

        @Override
        public int hashCode() {
            return Objects.hash(sequence, key, Arrays.hashCode(value));
        }

        @Override
        public String toString() {
            return "Entry[sequence=" + sequence + ", key=" + key + ", valueBytes=" + value.length + "]";
        }
    }

    private final Path dir;
    private final long maxBytes;
    private final long segmentBytes;
    private final int maxRecordBytes;
    private final long fsyncIntervalNanos;
    private final FileChannel lockChannel;
    private final FileLock dirLock;
    private final Thread syncer;

    // Appender and fsync state, guarded by lock.
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition syncWork = lock.newCondition();
    private final Condition synced = lock.newCondition();
    /** Oldest first; the last one is {@link #active} when appends have a segment open. */
    private final ArrayDeque<SpoolSegment> segments = new ArrayDeque<>();
    private SpoolSegment active;
    private long nextSequence;
    private long durableSequence;
    private List<CompletableFuture<Void>> awaitingSync = new ArrayList<>();
    private long firstAwaitingNanos;
    /** Writers no longer appended to; only the fsync thread closes them, so it never syncs a closed file. */
    private List<RandomAccessFile> retired = new ArrayList<>();
    private boolean directoryDirty;
    private boolean syncRequested;
    private boolean stopping;
    private IOException failure;
    private long fsyncBatches;

    // Written under lock, read without it.
    private volatile boolean closing;
    private volatile long sizeBytes;
    private volatile long lastSequence;
    private volatile long acknowledgedSequence;

    // The consumer's read position, guarded by consumerLock: where record acknowledgedSequence + 1 starts.
    private final ReentrantLock consumerLock = new ReentrantLock();
    private SpoolSegment cursorSegment;
    private long cursorSequence;
    private long cursorOffset;
    // Where the last peek stopped, so acknowledging a peeked batch does not re-read it.
    private SpoolSegment peekEndSegment;
    private long peekEndSequence;
    private long peekEndOffset;

    private UsageSpool(Path dir, long maxBytes, long segmentBytes, int maxRecordBytes, long fsyncIntervalMs,
            FileChannel lockChannel, FileLock dirLock, SpoolRecovery.Result recovered) {
        this.dir = dir;
        this.maxBytes = maxBytes;
        this.segmentBytes = segmentBytes;
        this.maxRecordBytes = maxRecordBytes;
        this.fsyncIntervalNanos = TimeUnit.MILLISECONDS.toNanos(fsyncIntervalMs);
        this.lockChannel = lockChannel;
        this.dirLock = dirLock;
        long recoveredBytes = 0;
        for (SpoolSegment s : recovered.segments()) {
            segments.addLast(s);
            recoveredBytes += s.sizeBytes;
        }
        this.sizeBytes = recoveredBytes;
        this.nextSequence = recovered.nextSequence();
        this.lastSequence = nextSequence - 1;
        this.durableSequence = nextSequence - 1; // recovery fsynced the last segment
        this.acknowledgedSequence = recovered.acknowledgedSequence();
        if (!segments.isEmpty()) {
            cursorSegment = segments.peekFirst();
            cursorSequence = acknowledgedSequence + 1;
            cursorOffset = recovered.cursorOffsetBytes();
        }
        this.syncer = new Thread(this::runSyncer, "usage-spool-fsync");
        syncer.setDaemon(true);
    }

    /**
     * Opens (creating if needed) the spool in {@code dir}, recovering what a previous process left there.
     *
     * @param maxBytes bound on the spool's files; appends past it throw {@link SpoolFullException}
     * @param fsyncIntervalMs how long the first unsynced append waits for others to share its fsync (0 = none)
     * @throws SpoolCorruptException when a file holds damage that a crash cannot explain
     * @throws IOException when the directory is unusable or already open, in this process or another
     */
    public static UsageSpool open(Path dir, long maxBytes, long fsyncIntervalMs) throws IOException {
        return open(dir, maxBytes, fsyncIntervalMs, DEFAULT_SEGMENT_BYTES, DEFAULT_MAX_RECORD_BYTES);
    }

    static UsageSpool open(Path dir, long maxBytes, long fsyncIntervalMs, long segmentBytes, int maxRecordBytes)
            throws IOException {
        Objects.requireNonNull(dir, "dir");
        int smallestFrameBytes = FRAME_HEADER_BYTES + MIN_PAYLOAD_BYTES;
        if (maxBytes < SEGMENT_HEADER_BYTES + smallestFrameBytes) {
            throw new IllegalArgumentException("maxBytes must hold at least one record, got " + maxBytes);
        }
        if (fsyncIntervalMs < 0 || fsyncIntervalMs > MAX_FSYNC_INTERVAL_MS) {
            throw new IllegalArgumentException(
                    "fsyncIntervalMs must be within 0.." + MAX_FSYNC_INTERVAL_MS + ", got " + fsyncIntervalMs);
        }
        if (segmentBytes < SEGMENT_HEADER_BYTES + smallestFrameBytes || segmentBytes > MAX_SEGMENT_BYTES) {
            throw new IllegalArgumentException("segmentBytes must be within "
                    + (SEGMENT_HEADER_BYTES + smallestFrameBytes) + ".." + MAX_SEGMENT_BYTES + ", got " + segmentBytes);
        }
        if (maxRecordBytes < smallestFrameBytes) {
            throw new IllegalArgumentException("maxRecordBytes must be at least " + smallestFrameBytes);
        }
        Files.createDirectories(dir);
        FileChannel lockChannel = FileChannel.open(dir.resolve(SpoolFormat.LOCK_FILE),
                StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock dirLock = null;
        try {
            dirLock = lockChannel.tryLock();
        } catch (OverlappingFileLockException e) {
            // held by this JVM: fall through to the same error as for another process
        } catch (IOException | RuntimeException e) {
            lockChannel.close();
            throw e;
        }
        if (dirLock == null) {
            lockChannel.close();
            throw new IOException("usage spool " + dir + " is already open, in this process or another");
        }
        try {
            SpoolRecovery.Result recovered = SpoolRecovery.recover(dir);
            UsageSpool spool = new UsageSpool(dir, maxBytes, segmentBytes, maxRecordBytes, fsyncIntervalMs,
                    lockChannel, dirLock, recovered);
            if (spool.pendingEntries() > 0) {
                LOG.infof("usage spool %s: %d entries to replay (%d bytes)", dir, spool.pendingEntries(), spool.sizeBytes());
            }
            spool.syncer.start();
            return spool;
        } catch (IOException | RuntimeException | Error e) {
            dirLock.release();
            lockChannel.close();
            throw e;
        }
    }

    /**
     * Appends a record; the returned future completes once it is fsynced (together with the other appends of
     * its {@code fsyncIntervalMs} window, by the fsync thread), or completes exceptionally if the disk failed.
     *
     * @throws SpoolFullException when the spool would exceed {@code maxBytes}; nothing was written
     * @throws IllegalArgumentException when the record frame exceeds the record bound (1 MiB)
     * @throws UncheckedIOException when the write failed; nothing partial is left behind
     * @throws IllegalStateException after {@link #close()}
     */
    public CompletableFuture<Void> append(String key, byte[] value) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        byte[] keyBytes = key.getBytes(StandardCharsets.UTF_8);
        long frameBytes = SpoolFormat.frameBytes(keyBytes.length, value.length);
        if (frameBytes > maxRecordBytes || keyBytes.length > SpoolFormat.MAX_KEY_BYTES) {
            throw new IllegalArgumentException("usage record of " + frameBytes + " bytes (key " + keyBytes.length
                    + " bytes) exceeds the bound of " + maxRecordBytes + " bytes (key " + SpoolFormat.MAX_KEY_BYTES + ")");
        }
        ByteBuffer frame = SpoolFormat.unsealedFrame(keyBytes, value);
        CompletableFuture<Void> durable = new CompletableFuture<>();
        lock.lock();
        try {
            if (closing) {
                throw new IllegalStateException("usage spool " + dir + " is closed");
            }
            if (failure != null) {
                throw new UncheckedIOException("usage spool " + dir + " failed earlier and takes no more appends", failure);
            }
            boolean newSegment = active == null
                    || (active.lastSequence >= active.firstSequence && active.sizeBytes + frameBytes > segmentBytes);
            long neededBytes = frameBytes + (newSegment ? SEGMENT_HEADER_BYTES : 0);
            if (sizeBytes + neededBytes > maxBytes) {
                throw new SpoolFullException(sizeBytes, maxBytes, neededBytes);
            }
            long sequence = nextSequence;
            SpoolFormat.seal(frame, sequence);
            try {
                if (newSegment) {
                    openSegment(sequence);
                }
                writeFrame(frame);
            } catch (IOException e) {
                throw new UncheckedIOException("could not append to usage spool " + dir, e);
            }
            nextSequence = sequence + 1;
            lastSequence = sequence;
            active.lastSequence = sequence;
            active.sizeBytes += frameBytes;
            sizeBytes += frameBytes;
            if (awaitingSync.isEmpty()) {
                firstAwaitingNanos = System.nanoTime();
                syncWork.signal();
            }
            awaitingSync.add(durable);
        } finally {
            lock.unlock();
        }
        return durable;
    }

    /** Blocks until everything appended so far is durable (used at shutdown and by tests). */
    public void sync() throws IOException {
        if (Thread.currentThread() == syncer) {
            // A stage chained on an append's future runs here; waiting would wait for this very thread.
            throw new IllegalStateException("sync() called from the usage spool's own fsync thread");
        }
        long deadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(SYNC_TIMEOUT_MS);
        lock.lock();
        try {
            long target = lastSequence;
            while (durableSequence < target) {
                if (failure != null) {
                    throw new IOException("usage spool " + dir + " could not make its records durable", failure);
                }
                if (!syncer.isAlive()) {
                    throw new IllegalStateException("usage spool " + dir + " has no fsync thread (closed?)");
                }
                syncRequested = true;
                syncWork.signal();
                long waitNanos = deadlineNanos - System.nanoTime();
                if (waitNanos <= 0) {
                    throw new IOException("usage spool " + dir + " did not sync within " + SYNC_TIMEOUT_MS + " ms");
                }
                try {
                    synced.awaitNanos(waitNanos);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while waiting for usage spool " + dir + " to sync");
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Up to {@code maxEntries} oldest entries not yet acknowledged, in append order, without removing them.
     * They may include records whose fsync is still pending. Memory is at most {@code maxEntries} record frames.
     */
    public List<Entry> peek(int maxEntries) throws IOException {
        if (maxEntries <= 0) {
            throw new IllegalArgumentException("maxEntries must be positive, got " + maxEntries);
        }
        consumerLock.lock();
        try {
            ensureOpen();
            positionCursor();
            if (cursorSegment == null) {
                return List.of();
            }
            List<SpoolSegment> readable = new ArrayList<>();
            List<Long> endOffsets = new ArrayList<>();
            lock.lock();
            try {
                boolean fromCursor = false;
                for (SpoolSegment s : segments) {
                    fromCursor |= s == cursorSegment;
                    if (fromCursor) {
                        readable.add(s);
                        endOffsets.add(s.sizeBytes); // only complete records lie before it
                    }
                }
            } finally {
                lock.unlock();
            }
            List<Entry> entries = new ArrayList<>(Math.min(maxEntries, 1024));
            long sequence = cursorSequence;
            for (int i = 0; i < readable.size() && entries.size() < maxEntries; i++) {
                SpoolSegment segment = readable.get(i);
                long offset = i == 0 ? cursorOffset : SEGMENT_HEADER_BYTES;
                long end = endOffsets.get(i);
                try (InputStream raw = openAt(segment.path, offset)) {
                    DataInputStream in = new DataInputStream(new BufferedInputStream(raw, READ_BUFFER_BYTES));
                    while (offset < end && entries.size() < maxEntries) {
                        int payloadBytes = readFrameLength(in, segment.path, offset, end);
                        int crc = in.readInt();
                        byte[] payload = in.readNBytes(payloadBytes);
                        if (payload.length != payloadBytes) {
                            throw new SpoolCorruptException(segment.path, offset, "file ends inside a record");
                        }
                        if (SpoolFormat.crc(payload, 0, payloadBytes) != crc) {
                            throw new SpoolCorruptException(segment.path, offset, "checksum mismatch");
                        }
                        Entry entry = SpoolFormat.decode(payload, 0, payloadBytes);
                        if (entry == null || entry.sequence() != sequence) {
                            throw new SpoolCorruptException(segment.path, offset,
                                    entry == null ? "record lengths disagree" : "record has sequence "
                                            + entry.sequence() + ", expected " + sequence);
                        }
                        entries.add(entry);
                        offset += FRAME_HEADER_BYTES + payloadBytes;
                        sequence++;
                    }
                }
                peekEndSegment = segment;
                peekEndSequence = sequence;
                peekEndOffset = offset;
            }
            return Collections.unmodifiableList(entries);
        } finally {
            consumerLock.unlock();
        }
    }

    /**
     * Marks every entry with a sequence up to {@code sequence} as delivered and deletes segment files that are
     * wholly delivered. The position is fsynced before this returns, so a restart does not replay these entries;
     * entries sent but not yet acknowledged when the process dies are replayed: delivery is at-least-once and
     * downstream dedupes by event id. Acknowledging an already acknowledged sequence does nothing.
     *
     * @throws IllegalArgumentException when {@code sequence} was never appended
     */
    public void acknowledge(long sequence) throws IOException {
        consumerLock.lock();
        try {
            ensureOpen();
            if (sequence <= acknowledgedSequence) {
                return;
            }
            long last = lastSequence;
            if (sequence > last) {
                throw new IllegalArgumentException(
                        "cannot acknowledge sequence " + sequence + ": the last appended is " + last);
            }
            writeAcknowledged(sequence);
            List<SpoolSegment> delivered = new ArrayList<>();
            lock.lock();
            try {
                acknowledgedSequence = sequence;
                while (!segments.isEmpty() && segments.peekFirst().lastSequence <= sequence) {
                    SpoolSegment s = segments.pollFirst();
                    sizeBytes -= s.sizeBytes;
                    if (s == active) {
                        retireActive(); // the next append starts a fresh segment
                    }
                    delivered.add(s);
                }
            } finally {
                lock.unlock();
            }
            for (SpoolSegment s : delivered) {
                if (s == cursorSegment) {
                    cursorSegment = null;
                }
                if (s == peekEndSegment) {
                    peekEndSegment = null;
                }
                try {
                    Files.deleteIfExists(s.path);
                } catch (IOException e) {
                    // Already acknowledged, so the next open deletes it; not worth failing the caller.
                    LOG.warnf(e, "usage spool: could not delete delivered segment %s", s.path);
                }
            }
        } finally {
            consumerLock.unlock();
        }
    }

    /** Entries appended and not yet acknowledged. */
    public long pendingEntries() {
        long acknowledged = acknowledgedSequence; // read first: both only grow, so the difference is never negative
        return lastSequence - acknowledged;
    }

    /** Bytes in the spool's segment files, including acknowledged entries whose segment is not yet deleted. */
    public long sizeBytes() {
        return sizeBytes;
    }

    /** Syncs everything appended, then stops the fsync thread and releases the directory. Idempotent. */
    @Override
    public void close() throws IOException {
        lock.lock();
        try {
            if (closing) {
                return;
            }
            closing = true; // from here appends are refused, so the sync below covers every accepted one
        } finally {
            lock.unlock();
        }
        IOException error = null;
        try {
            sync();
        } catch (IOException e) {
            error = e;
        }
        lock.lock();
        try {
            stopping = true;
            syncWork.signal();
        } finally {
            lock.unlock();
        }
        try {
            syncer.join(SYNC_TIMEOUT_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        lock.lock();
        try {
            if (syncer.isAlive()) {
                // The thread is stuck in an fsync; closing its file under it would only add confusion.
                error = addError(error, new IOException("usage spool " + dir + " fsync thread did not stop"));
            } else {
                if (active != null) {
                    retireActive();
                }
                for (RandomAccessFile f : retired) {
                    error = closeCollecting(f, error);
                }
                retired = new ArrayList<>();
            }
        } finally {
            lock.unlock();
        }
        try {
            dirLock.release();
            lockChannel.close();
        } catch (IOException e) {
            error = addError(error, e);
        }
        if (error != null) {
            throw error;
        }
    }

    /** How many fsync rounds ran; with group commit it is far below the number of appends. */
    long fsyncBatches() {
        lock.lock();
        try {
            return fsyncBatches;
        } finally {
            lock.unlock();
        }
    }

    // ---- appender side (caller holds lock) ----

    private void openSegment(long firstSequence) throws IOException {
        if (active != null) {
            // Every segment but the last must be complete and durable: recovery relies on it to tell damage
            // from a torn tail. Once per segment, so the request path pays it rarely.
            try {
                active.writer.getFD().sync();
                if (directoryDirty) {
                    forceDirectory(dir); // a crash must not keep the new segment's name yet lose the old one's
                    directoryDirty = false;
                }
            } catch (IOException e) {
                fail(e);
                throw e;
            }
            retireActive();
        }
        Path path = dir.resolve(SpoolFormat.segmentName(firstSequence));
        if (Files.exists(path)) {
            throw new IOException("segment " + path + " already exists; refusing to overwrite it");
        }
        RandomAccessFile writer = new RandomAccessFile(path.toFile(), "rw");
        try {
            writer.write(SpoolFormat.segmentHeader());
        } catch (IOException e) {
            e = closeCollecting(writer, e);
            try {
                Files.deleteIfExists(path); // only a header at most: nothing of value
            } catch (IOException d) {
                e.addSuppressed(d);
            }
            throw e;
        }
        SpoolSegment segment = new SpoolSegment(firstSequence, path, firstSequence - 1, SEGMENT_HEADER_BYTES);
        segment.writer = writer;
        segments.addLast(segment);
        active = segment;
        sizeBytes += SEGMENT_HEADER_BYTES;
        directoryDirty = true;
    }

    private void writeFrame(ByteBuffer frame) throws IOException {
        long at = active.sizeBytes;
        try {
            active.writer.seek(at);
            active.writer.write(frame.array(), 0, frame.limit());
        } catch (IOException e) {
            try {
                active.writer.setLength(at); // leave no partial frame for the next append to follow
            } catch (IOException t) {
                e.addSuppressed(t);
                fail(e);
            }
            throw e;
        }
    }

    private void retireActive() {
        retired.add(active.writer);
        active.writer = null;
        active = null;
        syncWork.signal();
    }

    private void fail(IOException e) {
        if (failure == null) {
            failure = e;
            LOG.errorf(e, "usage spool %s failed; it takes no more appends", dir);
        }
        syncWork.signal();
        synced.signalAll();
    }

    // ---- fsync thread ----

    private void runSyncer() {
        try {
            while (syncOnce()) {
                // next round
            }
        } catch (Throwable t) {
            lock.lock();
            try {
                fail(new IOException("usage spool fsync thread died", t));
            } finally {
                lock.unlock();
            }
            throw t;
        }
    }

    /** One group commit: waits for work, fsyncs it, completes its futures. False once stopped with nothing left. */
    private boolean syncOnce() {
        List<CompletableFuture<Void>> batch;
        long target;
        RandomAccessFile activeWriter;
        List<RandomAccessFile> toClose;
        boolean syncDirectory;
        IOException failed;
        lock.lock();
        try {
            while (awaitingSync.isEmpty() && retired.isEmpty() && !syncRequested && !stopping) {
                syncWork.awaitUninterruptibly();
            }
            if (stopping && awaitingSync.isEmpty() && retired.isEmpty() && !syncRequested) {
                return false;
            }
            // Group commit: hold the batch open until the first append has waited the interval, so appends
            // arriving meanwhile share its fsync. sync(), close() and failures cut the wait short.
            long deadlineNanos = firstAwaitingNanos + fsyncIntervalNanos;
            while (!awaitingSync.isEmpty() && !syncRequested && !stopping && failure == null) {
                long waitNanos = deadlineNanos - System.nanoTime();
                if (waitNanos <= 0) {
                    break;
                }
                try {
                    syncWork.awaitNanos(waitNanos);
                } catch (InterruptedException e) {
                    break; // nobody interrupts this thread but close(); syncing early is always safe
                }
            }
            syncRequested = false;
            batch = awaitingSync;
            awaitingSync = new ArrayList<>();
            target = lastSequence;
            activeWriter = active == null ? null : active.writer;
            toClose = retired;
            retired = new ArrayList<>();
            syncDirectory = directoryDirty;
            directoryDirty = false;
            failed = failure;
        } finally {
            lock.unlock();
        }
        // Retired writers need no fsync: a rolled segment was synced when it was rolled, a delivered one is gone.
        if (failed == null) {
            try {
                if (activeWriter != null) {
                    activeWriter.getFD().sync();
                }
                if (syncDirectory) {
                    forceDirectory(dir); // a new segment's name must be durable before its records are reported so
                }
            } catch (IOException e) {
                failed = e;
            }
        }
        for (RandomAccessFile f : toClose) {
            IOException e = closeCollecting(f, null);
            if (e != null) {
                LOG.warnf(e, "usage spool %s: could not close a retired segment", dir);
            }
        }
        // Futures first, outside the lock: once sync() sees the new durable sequence, its appends' futures are done.
        for (CompletableFuture<Void> f : batch) {
            if (failed == null) {
                f.complete(null);
            } else {
                f.completeExceptionally(new IOException("usage spool " + dir + " could not make the record durable", failed));
            }
        }
        lock.lock();
        try {
            if (failed != null) {
                fail(failed);
            } else {
                durableSequence = Math.max(durableSequence, target);
            }
            fsyncBatches++;
            synced.signalAll();
        } finally {
            lock.unlock();
        }
        return true;
    }

    // ---- consumer side (caller holds consumerLock) ----

    private void ensureOpen() {
        if (closing) {
            throw new IllegalStateException("usage spool " + dir + " is closed");
        }
    }

    /** Points the cursor at record acknowledgedSequence + 1, reading forward from the nearest known position. */
    private void positionCursor() throws IOException {
        long wanted = acknowledgedSequence + 1;
        if (cursorSegment != null && cursorSequence == wanted) {
            return;
        }
        SpoolSegment segment = null;
        long endOffset = 0;
        lock.lock();
        try {
            for (SpoolSegment s : segments) {
                if (s.contains(wanted)) {
                    segment = s;
                    endOffset = s.sizeBytes;
                    break;
                }
            }
        } finally {
            lock.unlock();
        }
        if (segment == null) {
            cursorSegment = null; // nothing appended past the acknowledged position yet
            return;
        }
        long fromSequence = segment.firstSequence;
        long fromOffset = SEGMENT_HEADER_BYTES;
        if (cursorSegment == segment && cursorSequence <= wanted) {
            fromSequence = cursorSequence;
            fromOffset = cursorOffset;
        }
        if (peekEndSegment == segment && peekEndSequence <= wanted && peekEndSequence > fromSequence) {
            fromSequence = peekEndSequence;
            fromOffset = peekEndOffset;
        }
        cursorOffset = skipRecords(segment.path, fromOffset, wanted - fromSequence, endOffset);
        cursorSegment = segment;
        cursorSequence = wanted;
    }

    private static long skipRecords(Path path, long fromOffset, long count, long endOffset) throws IOException {
        if (count == 0) {
            return fromOffset;
        }
        long offset = fromOffset;
        try (InputStream raw = openAt(path, fromOffset)) {
            DataInputStream in = new DataInputStream(new BufferedInputStream(raw, READ_BUFFER_BYTES));
            for (long i = 0; i < count; i++) {
                int payloadBytes = readFrameLength(in, path, offset, endOffset);
                in.skipNBytes(Integer.BYTES + (long) payloadBytes);
                offset += FRAME_HEADER_BYTES + payloadBytes;
            }
        }
        return offset;
    }

    private static int readFrameLength(DataInputStream in, Path path, long offset, long endOffset) throws IOException {
        int payloadBytes;
        try {
            payloadBytes = in.readInt();
        } catch (EOFException e) {
            throw new SpoolCorruptException(path, offset, "file ends inside a record header");
        }
        if (payloadBytes < MIN_PAYLOAD_BYTES || payloadBytes > endOffset - offset - FRAME_HEADER_BYTES) {
            throw new SpoolCorruptException(path, offset, "record length " + payloadBytes + " does not fit the segment");
        }
        return payloadBytes;
    }

    /** A plain stream, not a channel: an interrupt must not close a file mid-read. */
    private static InputStream openAt(Path path, long offset) throws IOException {
        FileInputStream in = new FileInputStream(path.toFile());
        try {
            long skipped = 0;
            while (skipped < offset) {
                long n = in.skip(offset - skipped);
                if (n <= 0) {
                    throw new SpoolCorruptException(path, offset, "file is shorter than its recorded size");
                }
                skipped += n;
            }
            return in;
        } catch (IOException e) {
            in.close();
            throw e;
        }
    }

    private void writeAcknowledged(long sequence) throws IOException {
        // Write aside and rename: the ack file is always either the old position or the new, never torn.
        Path temp = dir.resolve(SpoolFormat.ACK_TEMP_FILE);
        try (FileOutputStream out = new FileOutputStream(temp.toFile())) {
            out.write(SpoolFormat.ackRecord(sequence));
            out.getFD().sync();
        }
        Files.move(temp, dir.resolve(SpoolFormat.ACK_FILE), StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
        forceDirectory(dir); // the rename itself must survive a crash
    }

    // ---- helpers ----

    private static void forceDirectory(Path dir) throws IOException {
        // A channel operation aborts and closes on interrupt; clear the flag for it and restore it after.
        boolean interrupted = Thread.interrupted();
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static IOException closeCollecting(RandomAccessFile f, IOException error) {
        try {
            f.close();
            return error;
        } catch (IOException e) {
            return addError(error, e);
        }
    }

    private static IOException addError(IOException error, IOException next) {
        if (error == null) {
            return next;
        }
        error.addSuppressed(next);
        return error;
    }
}
