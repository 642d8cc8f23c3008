package io.maas.gateway.metering;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;

/**
 * The on-disk layout of the usage spool, the only place that knows it. All integers are big-endian.
 *
 * <pre>
 * segment file  usage-&lt;first sequence, 20 digits&gt;.spool
 *   header      int magic 0x55535031 ("USP1"), int format version (1)
 *   record*     int payloadLength, int crc32c(payload), payload
 *   payload     long sequence, unsigned short keyLength, key (UTF-8), int valueLength, value
 * ack file      usage.ack: int magic 0x5553414B ("USAK"), long acknowledged sequence, int crc32c(first 12 bytes)
 * </pre>
 *
 * Sequences start at 1 and are contiguous across segments, which lets recovery tell a gap from a torn tail.
 */
final class SpoolFormat {
    static final int SEGMENT_MAGIC = 0x55535031;
    static final int FORMAT_VERSION = 1;
    static final int SEGMENT_HEADER_BYTES = 2 * Integer.BYTES;
    static final int FRAME_HEADER_BYTES = 2 * Integer.BYTES;
    static final int MIN_PAYLOAD_BYTES = Long.BYTES + Short.BYTES + Integer.BYTES;
    /** The key length is stored as an unsigned short. */
    static final int MAX_KEY_BYTES = 0xFFFF;

    static final int ACK_MAGIC = 0x5553414B;
    static final int ACK_FILE_BYTES = Integer.BYTES + Long.BYTES + Integer.BYTES;
    static final String ACK_FILE = "usage.ack";
    static final String ACK_TEMP_FILE = "usage.ack.tmp";
    static final String LOCK_FILE = "usage.lock";

    private static final Pattern SEGMENT_NAME = Pattern.compile("usage-(\\d{20})\\.spool");

    private SpoolFormat() {
    }

    static String segmentName(long firstSequence) {
        return String.format("usage-%020d.spool", firstSequence);
    }

    /** The first sequence a segment file name carries, or -1 when the name is not a segment's. */
    static long firstSequenceOf(String fileName) {
        Matcher m = SEGMENT_NAME.matcher(fileName);
        if (!m.matches()) {
            return -1;
        }
        try {
            return Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            return -1; // 20 digits can exceed a long; no spool ever wrote such a name
        }
    }

    static long frameBytes(int keyBytes, int valueBytes) {
        return (long) FRAME_HEADER_BYTES + MIN_PAYLOAD_BYTES + keyBytes + valueBytes;
    }

    static byte[] segmentHeader() {
        return ByteBuffer.allocate(SEGMENT_HEADER_BYTES).putInt(SEGMENT_MAGIC).putInt(FORMAT_VERSION).array();
    }

    /**
     * A whole frame with sequence and checksum left zero, so the costly copy happens outside the spool's lock;
     * {@link #seal} fills them in once the sequence is assigned.
     */
    static ByteBuffer unsealedFrame(byte[] key, byte[] value) {
        int payloadBytes = MIN_PAYLOAD_BYTES + key.length + value.length;
        ByteBuffer frame = ByteBuffer.allocate(FRAME_HEADER_BYTES + payloadBytes);
        frame.putInt(payloadBytes).putInt(0).putLong(0L)
                .putShort((short) key.length).put(key)
                .putInt(value.length).put(value);
        return frame.flip();
    }

    static void seal(ByteBuffer frame, long sequence) {
        frame.putLong(FRAME_HEADER_BYTES, sequence);
        frame.putInt(Integer.BYTES, crc(frame.array(), FRAME_HEADER_BYTES, frame.limit() - FRAME_HEADER_BYTES));
    }

    static int crc(byte[] data, int offset, int length) {
        CRC32C crc = new CRC32C();
        crc.update(data, offset, length);
        return (int) crc.getValue();
    }

    /** Decodes a payload whose checksum already matched; null when its inner lengths disagree with its size. */
    static UsageSpool.Entry decode(byte[] data, int offset, int payloadBytes) {
        ByteBuffer in = ByteBuffer.wrap(data, offset, payloadBytes);
        long sequence = in.getLong();
        int keyBytes = Short.toUnsignedInt(in.getShort());
        if (keyBytes > in.remaining() - Integer.BYTES) {
            return null;
        }
        String key = new String(data, in.position(), keyBytes, StandardCharsets.UTF_8);
        in.position(in.position() + keyBytes);
        int valueBytes = in.getInt();
        if (valueBytes != in.remaining()) {
            return null;
        }
        byte[] value = new byte[valueBytes];
        in.get(value);
        return new UsageSpool.Entry(sequence, key, value);
    }

    static byte[] ackRecord(long acknowledgedSequence) {
        ByteBuffer b = ByteBuffer.allocate(ACK_FILE_BYTES).putInt(ACK_MAGIC).putLong(acknowledgedSequence);
        b.putInt(crc(b.array(), 0, ACK_FILE_BYTES - Integer.BYTES));
        return b.array();
    }

    /** The acknowledged sequence an ack file holds, or -1 when the bytes are not a valid ack record. */
    static long parseAck(byte[] bytes) {
        if (bytes.length != ACK_FILE_BYTES) {
            return -1;
        }
        ByteBuffer b = ByteBuffer.wrap(bytes);
        if (b.getInt() != ACK_MAGIC) {
            return -1;
        }
        long sequence = b.getLong();
        if (b.getInt() != crc(bytes, 0, ACK_FILE_BYTES - Integer.BYTES) || sequence < 0) {
            return -1;
        }
        return sequence;
    }
}
