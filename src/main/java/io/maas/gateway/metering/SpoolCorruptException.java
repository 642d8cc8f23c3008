package io.maas.gateway.metering;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A spool file holds bytes that no crash of this process can explain (damage before the torn tail, a gap in
 * sequences, a foreign header); the spool refuses to open rather than silently drop billable events.
 */
public class SpoolCorruptException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final long offsetBytes;

    public SpoolCorruptException(Path file, long offsetBytes, String reason) {
        super("usage spool file " + file + " is corrupt at offset " + offsetBytes + ": " + reason);
        this.file = file;
        this.offsetBytes = offsetBytes;
    }

    /** The damaged file. */
    public Path file() {
        return file;
    }

    /** Byte offset in {@link #file()} where the damage starts. */
    public long offsetBytes() {
        return offsetBytes;
    }
}
