package io.maas.inference.model;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.maas.inference.ModelFormatException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** A strictly validated, read-only safetensors file whose tensors are memory-mapped one buffer each. */
public final class SafetensorsFile implements AutoCloseable {

    /** Upper bound on the JSON header; real headers are kilobytes, this only stops absurd allocations. */
    public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;
    /** Upper bound on a tensor's rank; Llama weights are rank 1 or 2. */
    public static final int MAX_RANK = 8;

    private static final Set<String> PICKLE_SUFFIXES = Set.of(".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle");
    private static final Set<String> ENTRY_FIELDS = Set.of("dtype", "shape", "data_offsets");
    private static final String METADATA_KEY = "__metadata__";
    // Duplicate keys would let one tensor entry silently shadow another; trailing tokens hide corruption.
    private static final JsonMapper HEADER_JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    static {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            // Zero-copy mapping hands file bytes to PyTorch as-is; safetensors is little-endian.
            throw new ExceptionInInitializerError("safetensors mapping needs a little-endian platform");
        }
    }

    private final Path path;
    private final FileChannel channel;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;

    private SafetensorsFile(Path path, FileChannel channel, Map<String, TensorInfo> tensors,
                            Map<String, String> metadata) {
        this.path = path;
        this.channel = channel;
        this.tensors = Collections.unmodifiableMap(tensors);
        this.metadata = Collections.unmodifiableMap(metadata);
    }

    /** Opens and validates the whole header; any violation is a {@link ModelFormatException} naming the file. */
    public static SafetensorsFile open(Path path) {
        refusePickle(path);
        FileChannel channel;
        try {
            channel = FileChannel.open(path, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new ModelFormatException(path + ": file not found");
        } catch (IOException | RuntimeException e) {
            throw new ModelFormatException(path + ": cannot open: " + e.getMessage(), e);
        }
        try {
            Map<String, String> metadata = new LinkedHashMap<>();
            Map<String, TensorInfo> tensors = readHeader(path, channel, metadata);
            return new SafetensorsFile(path, channel, tensors, metadata);
        } catch (ModelFormatException e) {
            closeQuietly(channel);
            throw e;
        } catch (IOException | RuntimeException e) {
            closeQuietly(channel);
            throw new ModelFormatException(path + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** Refuses pickle-based checkpoints by name: unpickling them executes arbitrary code. */
    public static void refusePickle(Path path) {
        Path name = path.getFileName();
        String lower = name == null ? "" : name.toString().toLowerCase(Locale.ROOT);
        for (String suffix : PICKLE_SUFFIXES) {
            if (lower.endsWith(suffix)) {
                throw new ModelFormatException(path + ": refusing a pickle checkpoint (" + suffix
                        + "): loading it would execute arbitrary code; convert it to safetensors");
            }
        }
    }

    public Path path() {
        return path;
    }

    /** Tensors in header order. */
    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    /** The tensor named, or a {@link ModelFormatException} naming file and tensor. */
    public TensorInfo tensor(String name) {
        TensorInfo t = tensors.get(name);
        if (t == null) {
            throw new ModelFormatException(path + ": missing tensor '" + name + "'");
        }
        return t;
    }

    /**
     * Maps one tensor's bytes READ_ONLY in native byte order (safetensors is little-endian, checked at class load).
     * Each tensor gets its own buffer: a buffer is limited to 2 GB and a narrow map keeps aliasing obvious.
     */
    public ByteBuffer map(TensorInfo tensor) {
        return mapRange(tensor.name(), tensor.fileOffsetBytes(), tensor.sizeBytes());
    }

    /** Maps an absolute byte range of the file READ_ONLY; {@code label} names it in errors. */
    public ByteBuffer mapRange(String label, long fileOffsetBytes, long sizeBytes) {
        if (sizeBytes > Integer.MAX_VALUE) {
            throw new ModelFormatException(path + ": tensor '" + label + "' is " + sizeBytes
                    + " bytes, more than one 2 GB buffer can map");
        }
        try {
            return channel.map(FileChannel.MapMode.READ_ONLY, fileOffsetBytes, sizeBytes)
                    .order(ByteOrder.nativeOrder());
        } catch (IOException | RuntimeException e) {
            throw new ModelFormatException(path + ": cannot map tensor '" + label + "': " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        closeQuietly(channel);
    }

    private static Map<String, TensorInfo> readHeader(Path path, FileChannel channel, Map<String, String> metadata)
            throws IOException {
        long fileSize = channel.size();
        if (fileSize < 8) {
            throw new ModelFormatException(path + ": file is " + fileSize
                    + " bytes, shorter than the 8-byte header length");
        }
        long headerBytes = readFully(channel, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        if (headerBytes < 2 || headerBytes > MAX_HEADER_BYTES || headerBytes > fileSize - 8) {
            throw new ModelFormatException(path + ": header length " + Long.toUnsignedString(headerBytes)
                    + " is invalid (file is " + fileSize + " bytes, limit " + MAX_HEADER_BYTES + ")");
        }
        ByteBuffer headerBuffer = readFully(channel, 8, (int) headerBytes);
        JsonNode root;
        try {
            root = HEADER_JSON.readTree(headerBuffer.array());
        } catch (JacksonException e) {
            throw new ModelFormatException(path + ": header is not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new ModelFormatException(path + ": header is not a JSON object");
        }
        long dataStart = 8 + headerBytes;
        long dataLength = fileSize - dataStart;
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> field : root.properties()) {
            if (METADATA_KEY.equals(field.getKey())) {
                readMetadata(path, field.getValue(), metadata);
            } else {
                TensorInfo t = readEntry(path, field.getKey(), field.getValue(), dataStart, dataLength);
                tensors.put(t.name(), t);
            }
        }
        checkCoverage(path, tensors, dataStart, dataLength);
        return tensors;
    }

    private static void readMetadata(Path path, JsonNode node, Map<String, String> metadata) {
        if (!node.isObject()) {
            throw new ModelFormatException(path + ": " + METADATA_KEY + " is not a JSON object");
        }
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            if (!e.getValue().isTextual()) {
                throw new ModelFormatException(path + ": " + METADATA_KEY + " value '" + e.getKey()
                        + "' is not a string");
            }
            metadata.put(e.getKey(), e.getValue().textValue());
        }
    }

    private static TensorInfo readEntry(Path path, String name, JsonNode node, long dataStart, long dataLength) {
        String where = path + ": tensor '" + name + "'";
        if (name.isEmpty()) {
            throw new ModelFormatException(path + ": tensor with an empty name");
        }
        if (!node.isObject()) {
            throw new ModelFormatException(where + ": entry is not a JSON object");
        }
        for (Map.Entry<String, JsonNode> field : node.properties()) {
            String f = field.getKey();
            if (!ENTRY_FIELDS.contains(f)) {
                throw new ModelFormatException(where + ": unknown field '" + f + "'");
            }
        }
        JsonNode dtypeNode = node.get("dtype");
        if (dtypeNode == null || !dtypeNode.isTextual()) {
            throw new ModelFormatException(where + ": dtype missing or not a string");
        }
        TensorDType dtype = TensorDType.fromHeaderName(dtypeNode.textValue()).orElseThrow(() ->
                new ModelFormatException(where + ": unknown dtype '" + dtypeNode.textValue() + "'"));
        JsonNode shapeNode = node.get("shape");
        if (shapeNode == null || !shapeNode.isArray() || shapeNode.size() > MAX_RANK) {
            throw new ModelFormatException(where + ": shape missing, not an array or rank above " + MAX_RANK);
        }
        long[] shape = new long[shapeNode.size()];
        long elements = 1;
        for (int i = 0; i < shape.length; i++) {
            shape[i] = nonNegativeLong(shapeNode.get(i), where + ": shape");
            try {
                elements = Math.multiplyExact(elements, shape[i]);
            } catch (ArithmeticException e) {
                throw new ModelFormatException(where + ": shape element count overflows");
            }
        }
        JsonNode offsets = node.get("data_offsets");
        if (offsets == null || !offsets.isArray() || offsets.size() != 2) {
            throw new ModelFormatException(where + ": data_offsets missing or not a [begin, end] pair");
        }
        long begin = nonNegativeLong(offsets.get(0), where + ": data_offsets");
        long end = nonNegativeLong(offsets.get(1), where + ": data_offsets");
        if (begin > end) {
            throw new ModelFormatException(where + ": data_offsets [" + begin + ", " + end + "] end before begin");
        }
        if (end > dataLength) {
            throw new ModelFormatException(where + ": data_offsets [" + begin + ", " + end
                    + "] reach past the end of the file's " + dataLength + " data bytes");
        }
        long expectedBytes;
        try {
            expectedBytes = Math.multiplyExact(elements, dtype.sizeBytes());
        } catch (ArithmeticException e) {
            throw new ModelFormatException(where + ": byte size overflows");
        }
        if (expectedBytes != end - begin) {
            throw new ModelFormatException(where + ": shape " + Arrays.toString(shape) + " of " + dtype
                    + " needs " + expectedBytes + " bytes but data_offsets cover " + (end - begin));
        }
        return new TensorInfo(name, dtype, shape, dataStart + begin, end - begin);
    }

    private static long nonNegativeLong(JsonNode n, String where) {
        if (n == null || !n.isIntegralNumber() || !n.canConvertToLong() || n.longValue() < 0) {
            throw new ModelFormatException(where + " holds " + n + ", not a non-negative integer");
        }
        return n.longValue();
    }

    /** Ranges must tile the data area exactly: no overlap, no gap, nothing after the last tensor. */
    private static void checkCoverage(Path path, Map<String, TensorInfo> tensors, long dataStart, long dataLength) {
        List<TensorInfo> sorted = new ArrayList<>(tensors.values());
        sorted.sort(Comparator.comparingLong(TensorInfo::fileOffsetBytes).thenComparingLong(TensorInfo::sizeBytes));
        long expected = dataStart;
        String previous = null;
        for (TensorInfo t : sorted) {
            if (t.fileOffsetBytes() < expected) {
                throw new ModelFormatException(path + ": tensor '" + t.name() + "' overlaps tensor '"
                        + previous + "'");
            }
            if (t.fileOffsetBytes() > expected) {
                throw new ModelFormatException(path + ": data bytes [" + (expected - dataStart) + ", "
                        + (t.fileOffsetBytes() - dataStart) + ") before tensor '" + t.name()
                        + "' belong to no tensor");
            }
            expected = t.fileOffsetBytes() + t.sizeBytes();
            previous = t.name();
        }
        if (expected != dataStart + dataLength) {
            throw new ModelFormatException(path + ": " + (dataStart + dataLength - expected)
                    + " data bytes after the last tensor belong to no tensor (truncated header or appended data)");
        }
    }

    private static ByteBuffer readFully(FileChannel channel, long position, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        while (buffer.hasRemaining()) {
            int n = channel.read(buffer, position + buffer.position());
            if (n < 0) {
                throw new IOException("unexpected end of file");
            }
        }
        return buffer.flip();
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // Read-only channel: nothing to flush, nothing to report.
        }
    }
}
