package io.maas.gateway.metering;

/** The usage spool refused an append because it would grow past its configured bound; nothing was written. */
public class SpoolFullException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final long sizeBytes;
    private final long maxBytes;
    private final long neededBytes;

    public SpoolFullException(long sizeBytes, long maxBytes, long neededBytes) {
        super("usage spool full: " + sizeBytes + " of " + maxBytes + " bytes used, the record needs " + neededBytes
                + " more; it was not written");
        this.sizeBytes = sizeBytes;
        this.maxBytes = maxBytes;
        this.neededBytes = neededBytes;
    }

    /** Bytes the spool held when the append was refused. */
    public long sizeBytes() {
        return sizeBytes;
    }

    /** The configured bound. */
    public long maxBytes() {
        return maxBytes;
    }

    /** Bytes the refused record would have added (its frame, plus a segment header if it opened a segment). */
    public long neededBytes() {
        return neededBytes;
    }
}
