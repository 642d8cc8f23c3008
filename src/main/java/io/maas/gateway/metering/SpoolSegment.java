package io.maas.gateway.metering;

import java.io.RandomAccessFile;
import java.nio.file.Path;

/** One segment file of the usage spool: its sequence range, its size, and its writer while it is the active one. */
final class SpoolSegment {
    final long firstSequence;
    final Path path;
    /** {@code firstSequence - 1} while the segment holds no record. Guarded by the spool's lock. */
    long lastSequence;
    /** Header plus complete records; nothing past it is ever read. Guarded by the spool's lock. */
    long sizeBytes;
    /**
     * Open only while this is the segment appends go to. Guarded by the spool's lock. Not a FileChannel: an
     * interrupted request thread would close a channel under every other appender.
     */
    RandomAccessFile writer;

    SpoolSegment(long firstSequence, Path path, long lastSequence, long sizeBytes) {
        this.firstSequence = firstSequence;
        this.path = path;
        this.lastSequence = lastSequence;
        this.sizeBytes = sizeBytes;
    }

    boolean contains(long sequence) {
        return firstSequence <= sequence && sequence <= lastSequence;
    }

    @Override
    public String toString() {
        return path.getFileName() + "[" + firstSequence + ".." + lastSequence + ", " + sizeBytes + " bytes]";
    }
}
