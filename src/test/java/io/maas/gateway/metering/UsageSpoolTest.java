package io.maas.gateway.metering;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The usage spool keeps every acknowledged-durable record through restarts and crashes, in order, within bounds. */
class UsageSpoolTest {
    private static final long MAX_BYTES = 64L * 1024 * 1024;
    private static final long FSYNC_MS = 1;
    private static final int VALUE_BYTES = 100;
    private static final String KEY = "acme";
    /** Every test record has the same frame size, so offsets and segment contents can be computed. */
    private static final int FRAME_BYTES = (int) SpoolFormat.frameBytes(KEY.length(), VALUE_BYTES);
    private static final int HEADER_BYTES = SpoolFormat.SEGMENT_HEADER_BYTES;
    private static final long FOUR_PER_SEGMENT_BYTES = HEADER_BYTES + 4L * FRAME_BYTES;
    private static final long WAIT_SECONDS = 30;

    @TempDir
    Path dir;

    @Test
    void appendThenPeekReturnsTheSameEntriesInOrder() throws Exception {
        try (UsageSpool spool = UsageSpool.open(dir, MAX_BYTES, FSYNC_MS)) {
            appendAll(spool, 1, 10);
            spool.sync();

            List<UsageSpool.Entry> entries = spool.peek(100);
            assertEquals(expected(1, 10), entries);
            assertEquals(expected(1, 3), spool.peek(3));
            assertEquals(entries, spool.peek(100), "peek does not remove");
            assertEquals(10, spool.pendingEntries());
            assertEquals(HEADER_BYTES + 10L * FRAME_BYTES, spool.sizeBytes());
        }
    }

    @Test
    void keysAndValuesRoundTripByteForByte() throws Exception {
        byte[] binary = new byte[256];
        for (int i = 0; i < binary.length; i++) {
            binary[i] = (byte) i;
        }
        try (UsageSpool spool = UsageSpool.open(dir, MAX_BYTES, FSYNC_MS)) {
            spool.append("tenant-ü-東京", binary).get(WAIT_SECONDS, TimeUnit.SECONDS);
            spool.append("", new byte[0]).get(WAIT_SECONDS, TimeUnit.SECONDS);
        }
        try (UsageSpool spool = UsageSpool.open(dir, MAX_BYTES, FSYNC_MS)) {
            List<UsageSpool.Entry> entries = spool.peek(10);
            assertEquals(2, entries.size());
            assertEquals("tenant-ü-東京", entries.get(0).key());
            assertArrayEquals(binary, entries.get(0).value());
            assertEquals("", entries.get(1).key());
            assertArrayEquals(new byte[0], entries.get(1).value());
        }
    }

    @Test
    void acknowledgeRemovesEntriesAndDeletesFullyDeliveredSegments() throws Exception {
        try (UsageSpool spool = open(FOUR_PER_SEGMENT_BYTES)) {
            appendAll(spool, 1, 12);
            spool.sync();
            assertEquals(List.of(1L, 5L, 9L), segmentFirstSequences());

            spool.acknowledge(5);
            assertEquals(expected(6, 12), spool.peek(100));
            assertEquals(7, spool.pendingEntries());
            assertEquals(List.of(5L, 9L), segmentFirstSequences(), "segment 1..4 is delivered and deleted");
            assertEquals(2 * FOUR_PER_SEGMENT_BYTES, spool.sizeBytes(), "a partly delivered segment keeps its bytes");

            spool.acknowledge(3); // already behind the acknowledged position: nothing changes
            assertEquals(7, spool.pendingEntries());

            spool.acknowledge(12);
            assertEquals(List.of(), spool.peek(100));
            assertEquals(0, spool.pendingEntries());
            assertEquals(0, spool.sizeBytes());
            assertEquals(List.of(), segmentFirstSequences(), "a drained spool leaves no segment behind");

            appendAll(spool, 13, 13);
            assertEquals(expected(13, 13), spool.peek(10));
            assertEquals(List.of(13L), segmentFirstSequences());
        }
    }

    @Test
    void reopenAfterCloseReplaysExactlyTheUnacknowledgedEntries() throws Exception {
        try (UsageSpool spool = UsageSpool.open(dir, MAX_BYTES, FSYNC_MS)) {
            appendAll(spool, 1, 10);
            spool.peek(4);
            spool.acknowledge(4);
        }
        try (UsageSpool spool = UsageSpool.open(dir, MAX_BYTES, FSYNC_MS)) {
            assertEquals(6, spool.pendingEntries());
            assertEquals(expected(5, 10), spool.peek(100));
            appendAll(spool, 11, 11);
            spool.acknowledge(11);
        }
        try (UsageSpool spool = UsageSpool.open(dir, MAX_BYTES, FSYNC_MS)) {
            assertEquals(0, spool.pendingEntries());
            assertEquals(List.of(), spool.peek(100));
            appendAll(spool, 12, 12); // sequences are never reused, even after a full drain
            assertEquals(expected(12, 12), spool.peek(100));
        }
    }

    @Test
    void concurrentAppendsAllCompleteShareFsyncsAndAreRecoveredAfterReopen() throws Exception {
        int threads = 8;
        int perThread = 250;
        int total = threads * perThread;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        long batches;
        try (UsageSpool spool = UsageSpool.open(dir, MAX_BYTES, 5)) {
            List<Future<List<CompletableFuture<Void>>>> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                workers.add(pool.submit(() -> {
                    start.await();
                    List<CompletableFuture<Void>> durable = new ArrayList<>();
                    for (int i = 0; i < perThread; i++) {
                        durable.add(spool.append("tenant-" + thread, (thread + ":" + i).getBytes(UTF_8)));
                    }
                    return durable;
                }));
            }
            start.countDown();
            List<CompletableFuture<Void>> all = new ArrayList<>();
            for (Future<List<CompletableFuture<Void>>> w : workers) {
                all.addAll(w.get(WAIT_SECONDS, TimeUnit.SECONDS));
            }
            CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(WAIT_SECONDS, TimeUnit.SECONDS);
            batches = spool.fsyncBatches();
        } finally {
            pool.shutdownNow();
        }
        assertTrue(batches < total / 4, "group commit: " + batches + " fsyncs for " + total + " appends");

        try (UsageSpool spool = UsageSpool.open(dir, MAX_BYTES, FSYNC_MS)) {
            List<UsageSpool.Entry> entries = spool.peek(total + 1);
            assertEquals(total, entries.size());
            Set<String> seen = new HashSet<>();
            int[] nextPerThread = new int[threads];
            for (int i = 0; i < total; i++) {
                UsageSpool.Entry e = entries.get(i);
                assertEquals(i + 1, e.sequence());
                String[] parts = new String(e.value(), UTF_8).split(":");
                int thread = Integer.parseInt(parts[0]);
                assertEquals("tenant-" + thread, e.key());
                assertEquals(nextPerThread[thread]++, Integer.parseInt(parts[1]), "each thread's appends stay in order");
                seen.add(new String(e.value(), UTF_8));
            }
            assertEquals(total, seen.size());
        }
    }

    @Test
    void syncMakesAppendsDurableWithoutWaitingForTheGroupCommitWindow() throws Exception {
        try (UsageSpool spool = UsageSpool.open(dir, MAX_BYTES, UsageSpool.MAX_FSYNC_INTERVAL_MS)) {
            CompletableFuture<Void> durable = spool.append(KEY, value(1));
            assertFalse(durable.isDone(), "the fsync waits for the window to fill");
            spool.sync();
            assertTrue(durable.isDone());
            durable.get(); // completed normally
        }
    }

    @Test
    void closeMakesPendingAppendsDurableWithoutWaitingForTheWindow() throws Exception {
        List<CompletableFuture<Void>> durable = new ArrayList<>();
        try (UsageSpool spool = UsageSpool.open(dir, MAX_BYTES, UsageSpool.MAX_FSYNC_INTERVAL_MS)) {
            for (int i = 1; i <= 3; i++) {
                durable.add(spool.append(KEY, value(i)));
            }
        }
        for (CompletableFuture<Void> f : durable) {
            assertTrue(f.isDone() && !f.isCompletedExceptionally());
        }
        try (UsageSpool spool = UsageSpool.open(dir, MAX_BYTES, FSYNC_MS)) {
            assertEquals(expected(1, 3), spool.peek(100));
        }
    }

    @Test
    void tornTailCutInsideTheLastRecordIsDroppedOnReopen() throws Exception {
        try (UsageSpool spool = UsageSpool.open(dir, MAX_BYTES, FSYNC_MS)) {
            appendAll(spool, 1, 5);
        }
        Path segment = onlySegment();
        long intactBytes = Files.size(segment);
        try (RandomAccessFile f = new RandomAccessFile(segment.toFile(), "rw")) {
            f.setLength(intactBytes - 3);
        }

        try (UsageSpool spool = UsageSpool.open(dir, MAX_BYTES, FSYNC_MS)) {
            assertEquals(expected(1, 4), spool.peek(100));
            assertEquals(intactBytes - FRAME_BYTES, Files.size(segment), "only the partial record is cut");
            appendAll(spool, 5, 5);
            assertEquals(expected(1, 5), spool.peek(100), "the lost sequence is reused: it was never durable");
        }
    }

    @Test
    void garbageAfterTheLastRecordIsDroppedOnReopen() throws Exception {
        byte[] random = new byte[300];
        new Random(42).nextBytes(random);
        List<byte[]> tails = List.of("garbage!".getBytes(UTF_8), random, new byte[4096], new byte[] {0, 0, 1});
        for (byte[] tail : tails) {
            Path spoolDir = Files.createTempDirectory(dir, "tail");
            try (UsageSpool spool = UsageSpool.open(spoolDir, MAX_BYTES, FSYNC_MS)) {
                appendAll(spool, 1, 5);
            }
            Path segment = segmentFiles(spoolDir).get(0);
            long intactBytes = Files.size(segment);
            Files.write(segment, tail, StandardOpenOption.APPEND);

            try (UsageSpool spool = UsageSpool.open(spoolDir, MAX_BYTES, FSYNC_MS)) {
                assertEquals(expected(1, 5), spool.peek(100), "tail of " + tail.length + " bytes");
                assertEquals(intactBytes, Files.size(segment));
            }
        }
    }

    @Test
    void flippedByteInAMiddleRecordThrowsSpoolCorruptExceptionNamingTheFile() throws Exception {
        try (UsageSpool spool = UsageSpool.open(dir, MAX_BYTES, FSYNC_MS)) {
            appendAll(spool, 1, 5);
        }
        Path segment = onlySegment();
        long secondRecordOffset = HEADER_BYTES + FRAME_BYTES;
        flipByte(segment, secondRecordOffset + SpoolFormat.FRAME_HEADER_BYTES + 30);

        SpoolCorruptException e = assertThrows(SpoolCorruptException.class,
                () -> UsageSpool.open(dir, MAX_BYTES, FSYNC_MS));
        assertEquals(segment, e.file());
        assertEquals(secondRecordOffset, e.offsetBytes());
        assertTrue(e.getMessage().contains(segment.getFileName().toString()), e.getMessage());
        assertEquals(HEADER_BYTES + 5L * FRAME_BYTES, Files.size(segment), "nothing is cut from a corrupt spool");
        // The directory lock was released: once repaired, the spool opens again.
        flipByte(segment, secondRecordOffset + SpoolFormat.FRAME_HEADER_BYTES + 30);
        try (UsageSpool spool = UsageSpool.open(dir, MAX_BYTES, FSYNC_MS)) {
            assertEquals(expected(1, 5), spool.peek(100));
        }
    }

    @Test
    void damageAtTheEndOfANonLastSegmentIsCorruptionNotATornTail() throws Exception {
        try (UsageSpool spool = open(FOUR_PER_SEGMENT_BYTES)) {
            appendAll(spool, 1, 8);
        }
        Path first = segmentFiles(dir).get(0);
        flipByte(first, Files.size(first) - 1); // inside record 4, the last of the first segment

        SpoolCorruptException e = assertThrows(SpoolCorruptException.class, () -> open(FOUR_PER_SEGMENT_BYTES));
        assertEquals(first, e.file());
        assertEquals(HEADER_BYTES + 3L * FRAME_BYTES, e.offsetBytes());
    }

    @Test
    void missingSegmentBetweenOthersIsCorruption() throws Exception {
        try (UsageSpool spool = open(FOUR_PER_SEGMENT_BYTES)) {
            appendAll(spool, 1, 12);
        }
        List<Path> segments = segmentFiles(dir);
        Files.delete(segments.get(1));

        SpoolCorruptException e = assertThrows(SpoolCorruptException.class, () -> open(FOUR_PER_SEGMENT_BYTES));
        assertEquals(segments.get(2), e.file());
    }

    @Test
    void spoolFullThrowsSpoolFullExceptionAndWritesNothing() throws Exception {
        long maxBytes = HEADER_BYTES + 3L * FRAME_BYTES;
        try (UsageSpool spool = UsageSpool.open(dir, maxBytes, FSYNC_MS)) {
            appendAll(spool, 1, 3);
            spool.sync();
            long bytesBefore = Files.size(onlySegment());

            SpoolFullException full = assertThrows(SpoolFullException.class, () -> spool.append(KEY, value(4)));
            assertEquals(maxBytes, full.maxBytes());
            assertEquals(FRAME_BYTES, full.neededBytes());
            assertEquals(maxBytes, spool.sizeBytes());
            assertEquals(3, spool.pendingEntries());
            assertEquals(bytesBefore, Files.size(onlySegment()));
            assertEquals(expected(1, 3), spool.peek(100));

            spool.acknowledge(3); // delivering frees the space
            appendAll(spool, 4, 4);
            assertEquals(expected(4, 4), spool.peek(100));
        }
        try (UsageSpool spool = UsageSpool.open(dir, maxBytes, FSYNC_MS)) {
            assertEquals(expected(4, 4), spool.peek(100));
        }
    }

    @Test
    void segmentsRollAtTheirBoundAndOrderHoldsAcrossThem() throws Exception {
        try (UsageSpool spool = open(FOUR_PER_SEGMENT_BYTES)) {
            appendAll(spool, 1, 30);
            assertEquals(List.of(1L, 5L, 9L, 13L, 17L, 21L, 25L, 29L), segmentFirstSequences());
            for (Path segment : segmentFiles(dir).subList(0, 7)) {
                assertEquals(FOUR_PER_SEGMENT_BYTES, Files.size(segment));
            }
            assertEquals(expected(1, 30), spool.peek(100));

            List<UsageSpool.Entry> delivered = new ArrayList<>();
            while (delivered.size() < 13) { // batches of 3 straddle segment boundaries
                List<UsageSpool.Entry> batch = spool.peek(3);
                delivered.addAll(batch);
                spool.acknowledge(batch.get(batch.size() - 1).sequence());
            }
            assertEquals(expected(1, 15), delivered);
        }
        try (UsageSpool spool = open(FOUR_PER_SEGMENT_BYTES)) {
            assertEquals(expected(16, 30), spool.peek(100));
            appendAll(spool, 31, 33);
            assertEquals(expected(16, 33), spool.peek(100));
        }
    }

    @Test
    void recordOverTheSizeBoundIsRefusedAndNothingIsWritten() throws Exception {
        try (UsageSpool spool = UsageSpool.open(dir, MAX_BYTES, FSYNC_MS)) {
            int atBoundValueBytes = UsageSpool.DEFAULT_MAX_RECORD_BYTES - (int) SpoolFormat.frameBytes(KEY.length(), 0);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> spool.append(KEY, new byte[atBoundValueBytes + 1]));
            assertTrue(e.getMessage().contains("exceeds the bound"), e.getMessage());
            assertEquals(0, spool.sizeBytes());
            assertEquals(List.of(), segmentFiles(dir));

            spool.append(KEY, new byte[atBoundValueBytes]).get(WAIT_SECONDS, TimeUnit.SECONDS);
            assertEquals(1, spool.peek(10).size());
        }
    }

    @Test
    void acknowledgingASequenceNeverAppendedIsRefused() throws Exception {
        try (UsageSpool spool = UsageSpool.open(dir, MAX_BYTES, FSYNC_MS)) {
            appendAll(spool, 1, 2);
            assertThrows(IllegalArgumentException.class, () -> spool.acknowledge(3));
            assertEquals(2, spool.pendingEntries());
        }
    }

    @Test
    void damagedAcknowledgementFileReplaysEverythingRatherThanLosingEntries() throws Exception {
        try (UsageSpool spool = UsageSpool.open(dir, MAX_BYTES, FSYNC_MS)) {
            appendAll(spool, 1, 5);
            spool.acknowledge(2);
        }
        flipByte(dir.resolve(SpoolFormat.ACK_FILE), 6);
        try (UsageSpool spool = UsageSpool.open(dir, MAX_BYTES, FSYNC_MS)) {
            assertEquals(expected(1, 5), spool.peek(100), "at-least-once: downstream dedupes by event id");
        }
    }

    @Test
    void aSecondOpenOfTheSameDirectoryIsRefusedAndClosedSpoolRejectsUse() throws Exception {
        UsageSpool spool = UsageSpool.open(dir, MAX_BYTES, FSYNC_MS);
        IOException e = assertThrows(IOException.class, () -> UsageSpool.open(dir, MAX_BYTES, FSYNC_MS));
        assertTrue(e.getMessage().contains("already open"), e.getMessage());
        spool.close();
        spool.close(); // idempotent
        assertThrows(IllegalStateException.class, () -> spool.append(KEY, value(1)));
        assertThrows(IllegalStateException.class, () -> spool.peek(1));
        UsageSpool.open(dir, MAX_BYTES, FSYNC_MS).close();
    }

    // ---- helpers ----

    private UsageSpool open(long segmentBytes) throws IOException {
        return UsageSpool.open(dir, MAX_BYTES, FSYNC_MS, segmentBytes, UsageSpool.DEFAULT_MAX_RECORD_BYTES);
    }

    /** Appends records {@code from..to} (their sequences, if the spool is fresh) and waits until all are durable. */
    private static void appendAll(UsageSpool spool, int from, int to) throws Exception {
        List<CompletableFuture<Void>> durable = new ArrayList<>();
        for (int i = from; i <= to; i++) {
            durable.add(spool.append(KEY, value(i)));
        }
        CompletableFuture.allOf(durable.toArray(CompletableFuture[]::new)).get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    private static List<UsageSpool.Entry> expected(int from, int to) {
        List<UsageSpool.Entry> entries = new ArrayList<>();
        for (int i = from; i <= to; i++) {
            entries.add(new UsageSpool.Entry(i, KEY, value(i)));
        }
        return entries;
    }

    /** A fixed-size value that names its record, so a misplaced one shows in a failure. */
    private static byte[] value(int i) {
        String head = "{\"id\":\"event-" + i + "\",\"pad\":\"";
        StringBuilder s = new StringBuilder(head);
        while (s.length() < VALUE_BYTES - 2) {
            s.append('x');
        }
        return s.append("\"}").toString().getBytes(UTF_8);
    }

    private Path onlySegment() throws IOException {
        List<Path> segments = segmentFiles(dir);
        assertEquals(1, segments.size(), segments.toString());
        return segments.get(0);
    }

    private List<Long> segmentFirstSequences() throws IOException {
        List<Long> firsts = new ArrayList<>();
        for (Path p : segmentFiles(dir)) {
            firsts.add(SpoolFormat.firstSequenceOf(p.getFileName().toString()));
        }
        return firsts;
    }

    private static List<Path> segmentFiles(Path spoolDir) throws IOException {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(spoolDir, "usage-*.spool")) {
            entries.forEach(files::add);
        }
        files.sort(null);
        return files;
    }

    private static void flipByte(Path file, long offset) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(offset);
            int b = f.read();
            f.seek(offset);
            f.write(b ^ 0x5A);
        }
    }
}
