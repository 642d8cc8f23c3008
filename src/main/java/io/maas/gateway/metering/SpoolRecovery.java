package io.maas.gateway.metering;

import static io.maas.gateway.metering.SpoolFormat.FRAME_HEADER_BYTES;
import static io.maas.gateway.metering.SpoolFormat.MIN_PAYLOAD_BYTES;
import static io.maas.gateway.metering.SpoolFormat.SEGMENT_HEADER_BYTES;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.jboss.logging.Logger;

/**
 * Rebuilds the spool's state from its directory at open: deletes delivered segments, cuts a torn tail, and
 * refuses damage that a crash cannot explain.
 *
 * <p>Why the torn-tail rule is sound: a segment is fsynced before the next one is created, so every segment but
 * the last is complete; only the last can end in a write the crash interrupted. In the last segment, the first
 * bad frame is a torn tail when no whole record follows it (a partial write, zeros the file system left, or
 * garbage); when a whole record with a later sequence does follow, the bad frame is damage in the middle.
 * A flipped byte inside the very last record cannot be told from a torn write and is dropped as one.
 */
final class SpoolRecovery {
    private static final Logger LOG = Logger.getLogger(SpoolRecovery.class);
    /** A Java array bounds what one scan can read; no spool writes segments near it. */
    private static final long MAX_SCAN_BYTES = Integer.MAX_VALUE - 64;

    /**
     * State found on disk. {@code cursorOffsetBytes} is where record {@code acknowledgedSequence + 1} starts in
     * the first segment, when there is one.
     */
    record Result(List<SpoolSegment> segments, long acknowledgedSequence, long nextSequence, long cursorOffsetBytes) {
    }

    private record Scan(SpoolSegment segment, long wantedOffsetBytes) {
    }

    private SpoolRecovery() {
    }

    static Result recover(Path dir) throws IOException {
        // A temp file means the rename never happened: the previous ack file still stands.
        Files.deleteIfExists(dir.resolve(SpoolFormat.ACK_TEMP_FILE));
        long acknowledged = readAcknowledged(dir);
        List<Map.Entry<Long, Path>> files = new ArrayList<>(listSegments(dir).entrySet());

        // A segment is delivered when the next one starts at or before acknowledged + 1: no need to read it.
        int first = 0;
        while (first + 1 < files.size() && files.get(first + 1).getKey() - 1 <= acknowledged) {
            Files.deleteIfExists(files.get(first).getValue());
            first++;
        }

        List<SpoolSegment> segments = new ArrayList<>();
        long cursorOffsetBytes = SEGMENT_HEADER_BYTES;
        long expectedFirst = -1;
        for (int i = first; i < files.size(); i++) {
            long firstSequence = files.get(i).getKey();
            Path path = files.get(i).getValue();
            if (expectedFirst >= 0 && firstSequence != expectedFirst) {
                throw new SpoolCorruptException(path, 0, "segment starts at sequence " + firstSequence
                        + " but the previous segment ends at " + (expectedFirst - 1) + " (a segment is missing)");
            }
            Scan scan = scanSegment(path, firstSequence, i == files.size() - 1, acknowledged + 1);
            if (scan == null) {
                break; // the last segment held no complete record and was removed
            }
            if (i == first) {
                cursorOffsetBytes = scan.wantedOffsetBytes();
            }
            segments.add(scan.segment());
            expectedFirst = scan.segment().lastSequence + 1;
        }

        long lastAppended = segments.isEmpty() ? 0 : segments.get(segments.size() - 1).lastSequence;
        if (!segments.isEmpty() && lastAppended <= acknowledged) {
            // Only a lone segment can be wholly delivered here: every earlier one ends past the acknowledged point.
            for (SpoolSegment s : segments) {
                Files.deleteIfExists(s.path);
            }
            segments.clear();
        }
        long nextSequence = Math.max(acknowledged, lastAppended) + 1;
        long effectiveAcknowledged = segments.isEmpty()
                ? nextSequence - 1
                : Math.max(acknowledged, segments.get(0).firstSequence - 1);
        return new Result(segments, effectiveAcknowledged, nextSequence, cursorOffsetBytes);
    }

    private static long readAcknowledged(Path dir) throws IOException {
        Path ackFile = dir.resolve(SpoolFormat.ACK_FILE);
        if (!Files.exists(ackFile)) {
            return 0;
        }
        long acknowledged = SpoolFormat.parseAck(Files.readAllBytes(ackFile));
        if (acknowledged < 0) {
            // Replaying delivered entries is harmless (downstream dedupes by event id); refusing to start is not.
            LOG.warnf("usage spool: acknowledgement file %s is damaged; replaying every spooled entry", ackFile);
            return 0;
        }
        return acknowledged;
    }

    private static TreeMap<Long, Path> listSegments(Path dir) throws IOException {
        TreeMap<Long, Path> segments = new TreeMap<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, "usage-*.spool")) {
            for (Path p : entries) {
                long firstSequence = SpoolFormat.firstSequenceOf(p.getFileName().toString());
                if (firstSequence < 1) {
                    LOG.warnf("usage spool: ignoring %s, whose name carries no valid first sequence", p);
                    continue;
                }
                segments.put(firstSequence, p);
            }
        }
        return segments;
    }

    /** Validates one segment; null when it was the last one and held no complete record, so it was deleted. */
    private static Scan scanSegment(Path path, long firstSequence, boolean last, long wantedSequence)
            throws IOException {
        long fileBytes = Files.size(path);
        if (fileBytes > MAX_SCAN_BYTES) {
            throw new SpoolCorruptException(path, 0, "segment of " + fileBytes + " bytes is larger than any spool writes");
        }
        byte[] data = Files.readAllBytes(path);
        if (data.length < SEGMENT_HEADER_BYTES || allZero(data)) {
            if (!last) {
                throw new SpoolCorruptException(path, 0, "segment has no valid header but is not the last one");
            }
            LOG.warnf("usage spool: removing %s, which a crash left without a header (%d bytes)", path, data.length);
            Files.delete(path);
            return null;
        }
        ByteBuffer buf = ByteBuffer.wrap(data);
        if (buf.getInt(0) != SpoolFormat.SEGMENT_MAGIC) {
            throw new SpoolCorruptException(path, 0, "not a usage spool segment (wrong magic number)");
        }
        if (buf.getInt(Integer.BYTES) != SpoolFormat.FORMAT_VERSION) {
            throw new SpoolCorruptException(path, Integer.BYTES,
                    "unsupported format version " + buf.getInt(Integer.BYTES));
        }

        int offset = SEGMENT_HEADER_BYTES;
        long sequence = firstSequence;
        long wantedOffset = SEGMENT_HEADER_BYTES;
        while (offset < data.length) {
            String unsound = unsoundFrame(data, buf, offset);
            if (unsound == null) {
                int payloadBytes = buf.getInt(offset);
                UsageSpool.Entry entry = SpoolFormat.decode(data, offset + FRAME_HEADER_BYTES, payloadBytes);
                // Whole frames that still disagree were written that way or damaged past the checksum: never torn.
                if (entry == null) {
                    throw new SpoolCorruptException(path, offset, "record lengths disagree although its checksum matches");
                }
                if (entry.sequence() != sequence) {
                    throw new SpoolCorruptException(path, offset,
                            "record has sequence " + entry.sequence() + ", expected " + sequence);
                }
                if (sequence == wantedSequence) {
                    wantedOffset = offset;
                }
                offset += FRAME_HEADER_BYTES + payloadBytes;
                sequence++;
                continue;
            }
            if (!last) {
                throw new SpoolCorruptException(path, offset, unsound
                        + " in a segment that is not the last one (it was complete and fsynced before the next began)");
            }
            int whole = findWholeFrame(data, buf, offset + 1, sequence);
            if (whole >= 0) {
                throw new SpoolCorruptException(path, offset, unsound + ", yet a whole record follows at offset "
                        + whole + ", so this is damage, not a torn tail");
            }
            LOG.warnf("usage spool: cutting the torn tail of %s at offset %d (%d bytes dropped: %s); a crash "
                    + "interrupted a write that was never reported durable", path, offset, data.length - offset, unsound);
            try (FileChannel ch = FileChannel.open(path, StandardOpenOption.WRITE)) {
                ch.truncate(offset);
                ch.force(true);
            }
            break;
        }

        if (sequence == firstSequence) {
            if (!last) {
                throw new SpoolCorruptException(path, SEGMENT_HEADER_BYTES,
                        "segment holds no record but is not the last one");
            }
            LOG.warnf("usage spool: removing %s, which holds no complete record", path);
            Files.delete(path);
            return null;
        }
        if (last) {
            // The previous process may have died before its fsync; make what is now read as durable really so.
            try (FileChannel ch = FileChannel.open(path, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
        }
        return new Scan(new SpoolSegment(firstSequence, path, sequence - 1, offset), wantedOffset);
    }

    /** Why the frame at {@code offset} is not whole, or null when it is. */
    private static String unsoundFrame(byte[] data, ByteBuffer buf, int offset) {
        int remaining = data.length - offset;
        if (remaining < FRAME_HEADER_BYTES) {
            return "incomplete record header (" + remaining + " bytes)";
        }
        int payloadBytes = buf.getInt(offset);
        if (payloadBytes < MIN_PAYLOAD_BYTES) {
            return "record length " + payloadBytes + " is below the minimum of " + MIN_PAYLOAD_BYTES;
        }
        if (payloadBytes > remaining - FRAME_HEADER_BYTES) {
            return "record of " + payloadBytes + " bytes runs past the end of the file";
        }
        if (SpoolFormat.crc(data, offset + FRAME_HEADER_BYTES, payloadBytes) != buf.getInt(offset + Integer.BYTES)) {
            return "checksum mismatch";
        }
        return null;
    }

    /**
     * Offset of a whole frame at or after {@code from} whose sequence could follow {@code expectedSequence}, or -1.
     * The sequence window rejects almost every false start before the checksum is computed.
     */
    private static int findWholeFrame(byte[] data, ByteBuffer buf, int from, long expectedSequence) {
        long maxSequence = expectedSequence + (data.length - from) / (FRAME_HEADER_BYTES + MIN_PAYLOAD_BYTES) + 1;
        for (int p = from; p <= data.length - FRAME_HEADER_BYTES - MIN_PAYLOAD_BYTES; p++) {
            int payloadBytes = buf.getInt(p);
            if (payloadBytes < MIN_PAYLOAD_BYTES || payloadBytes > data.length - p - FRAME_HEADER_BYTES) {
                continue;
            }
            long sequence = buf.getLong(p + FRAME_HEADER_BYTES);
            if (sequence < expectedSequence || sequence > maxSequence) {
                continue;
            }
            if (SpoolFormat.crc(data, p + FRAME_HEADER_BYTES, payloadBytes) == buf.getInt(p + Integer.BYTES)) {
                return p;
            }
        }
        return -1;
    }

    private static boolean allZero(byte[] data) {
        for (byte b : data) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }
}
