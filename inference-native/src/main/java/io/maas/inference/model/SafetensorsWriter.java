package io.maas.inference.model;

import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

/** Writes a safetensors file tensor by tensor, streaming values so that large models never sit in the heap. */
public final class SafetensorsWriter {

    /** Produces one tensor's values in row-major order. */
    @FunctionalInterface
    public interface FloatSource {
        float next();
    }

    /** Chooses the value source of each tensor by name. */
    @FunctionalInterface
    public interface Values {
        FloatSource of(String tensorName);
    }

    private static final int CHUNK_BYTES = 1 << 20;
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private SafetensorsWriter() {
    }

    /**
     * Writes {@code shapes} (in that order, contiguous) as {@code dtype}; F32 values are narrowed to F16/BF16 with
     * round-to-nearest-even. The header is padded with spaces to a multiple of 8 bytes, as Hugging Face does.
     */
    public static void write(Path file, TensorDType dtype, LinkedHashMap<String, long[]> shapes,
                             Map<String, String> metadata, Values values) throws IOException {
        if (!dtype.isSupportedWeight()) {
            throw new IllegalArgumentException("can only write F32, F16 or BF16, not " + dtype);
        }
        byte[] header = header(dtype, shapes, metadata);
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buffer = ByteBuffer.allocateDirect(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            writeFully(out, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, header.length));
            writeFully(out, ByteBuffer.wrap(header));
            for (Map.Entry<String, long[]> e : shapes.entrySet()) {
                FloatSource source = values.of(e.getKey());
                long n = elementCount(e.getValue());
                for (long i = 0; i < n; i++) {
                    if (buffer.remaining() < 4) {
                        drain(out, buffer);
                    }
                    float v = source.next();
                    switch (dtype) {
                        case F32 -> buffer.putFloat(v);
                        case F16 -> buffer.putShort(HalfFloats.toF16(v));
                        default -> buffer.putShort(HalfFloats.toBf16(v));
                    }
                }
            }
            drain(out, buffer);
        }
    }

    /** The JSON header bytes, padded; deterministic for the same inputs. */
    static byte[] header(TensorDType dtype, LinkedHashMap<String, long[]> shapes, Map<String, String> metadata)
            throws IOException {
        ObjectNode root = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode m = root.putObject("__metadata__");
            metadata.forEach(m::put);
        }
        long offset = 0;
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
            ObjectNode t = root.putObject(e.getKey());
            t.put("dtype", dtype.name());
            var shape = t.putArray("shape");
            for (long d : e.getValue()) {
                shape.add(d);
            }
            long size = elementCount(e.getValue()) * dtype.sizeBytes();
            t.putArray("data_offsets").add(offset).add(offset + size);
            offset += size;
        }
        byte[] json = JSON.writeValueAsString(root).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        byte[] header = new byte[padded];
        System.arraycopy(json, 0, header, 0, json.length);
        for (int i = json.length; i < padded; i++) {
            header[i] = ' ';
        }
        return header;
    }

    private static long elementCount(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    private static void drain(FileChannel out, ByteBuffer buffer) throws IOException {
        writeFully(out, buffer.flip());
        buffer.clear();
    }

    private static void writeFully(FileChannel out, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            out.write(buffer);
        }
    }
}
