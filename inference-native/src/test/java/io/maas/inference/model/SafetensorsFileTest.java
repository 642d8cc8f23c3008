package io.maas.inference.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.maas.inference.ModelFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The safetensors reader accepts exactly well-formed files and reports everything else as ModelFormatException. */
class SafetensorsFileTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** 40 data bytes: a F32[2,3] at [0,24), b F16[4] at [24,32), c BF16[2,2] at [32,40). */
    private static final byte[] DATA = data();

    @TempDir
    Path dir;

    @Test
    void readsAValidFileAndMapsEachTensorReadOnly() throws Exception {
        Path file = write("valid.safetensors", file(validHeader().toString().getBytes(StandardCharsets.UTF_8), null,
                DATA));
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertEquals(List.of("a", "b", "c"), List.copyOf(f.tensors().keySet()));
            assertEquals("pt", f.metadata().get("format"));
            TensorInfo a = f.tensor("a");
            assertEquals(TensorDType.F32, a.dtype());
            assertArrayEquals(new long[] {2, 3}, a.shape());
            assertEquals(24, a.sizeBytes());
            ByteBuffer buffer = f.map(a);
            assertTrue(buffer.isReadOnly());
            assertTrue(buffer.isDirect());
            assertEquals(ByteOrder.nativeOrder(), buffer.order());
            assertEquals(ByteBuffer.wrap(DATA, 0, 24).order(ByteOrder.LITTLE_ENDIAN).getFloat(0), buffer.getFloat(0));
            assertEquals(8, f.map(f.tensor("c")).capacity());
            ModelFormatException missing = assertThrows(ModelFormatException.class, () -> f.tensor("zzz"));
            assertTrue(missing.getMessage().contains("zzz") && missing.getMessage().contains("valid.safetensors"));
        }
    }

    @Test
    void refusesPickleCheckpointsByName() throws Exception {
        for (String name : List.of("pytorch_model.bin", "model.pt", "weights.pth", "x.ckpt")) {
            Path file = write(name, new byte[] {(byte) 0x80, 2, '}', 'q', 0});
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> SafetensorsFile.open(file));
            assertTrue(e.getMessage().contains(name) && e.getMessage().contains("pickle")
                    && e.getMessage().contains("execute arbitrary code"), e.getMessage());
        }
    }

    @Test
    void missingFileIsAFormatError() {
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> SafetensorsFile.open(dir.resolve("absent.safetensors")));
        assertTrue(e.getMessage().contains("absent.safetensors"));
    }

    @Test
    void everyStructuredCorruptionIsAFormatErrorNamingTheFile() throws Exception {
        Random random = new Random(20240611);
        int cases = 0;
        for (int i = 0; i < 400; i++) {
            byte[] bytes = corrupt(random, i % 13);
            assertRejected("corrupt-" + i + ".safetensors", bytes);
            cases++;
        }
        byte[] valid = file(validHeader().toString().getBytes(StandardCharsets.UTF_8), null, DATA);
        for (int length = 0; length < valid.length; length++) {
            assertRejected("truncated-" + length + ".safetensors", Arrays.copyOf(valid, length));
            cases++;
        }
        assertTrue(cases > 500, "cases run: " + cases);
    }

    @Test
    void randomByteFlipsNeverEscapeAsAnotherException() throws Exception {
        Random random = new Random(7);
        byte[] valid = file(validHeader().toString().getBytes(StandardCharsets.UTF_8), null, DATA);
        int rejected = 0;
        for (int i = 0; i < 300; i++) {
            byte[] bytes = valid.clone();
            for (int flips = 1 + random.nextInt(4); flips > 0; flips--) {
                bytes[random.nextInt(bytes.length)] ^= (byte) (1 << random.nextInt(8));
            }
            Path file = write("flip-" + i + ".safetensors", bytes);
            try (SafetensorsFile ignored = SafetensorsFile.open(file)) {
                // a flip inside tensor data or a name still makes a well-formed file
            } catch (ModelFormatException e) {
                assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
                rejected++;
            }
        }
        assertTrue(rejected > 100, "most header flips must be caught: " + rejected);
    }

    private void assertRejected(String name, byte[] bytes) throws Exception {
        Path file = write(name, bytes);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> SafetensorsFile.open(file).close(),
                () -> name + " was accepted: " + new String(bytes, StandardCharsets.ISO_8859_1));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    }

    /** One corrupted file of the given kind; every kind is invalid by construction. */
    private static byte[] corrupt(Random r, int kind) throws Exception {
        byte[] header = validHeader().toString().getBytes(StandardCharsets.UTF_8);
        switch (kind) {
            case 0: { // header length field
                long fileSize = 8L + header.length + DATA.length;
                long[] lengths = {0, 1, 7, header.length - 1 - r.nextInt(header.length - 1),
                        header.length + 1 + r.nextInt(DATA.length), fileSize - 7, fileSize, Long.MAX_VALUE, -1L,
                        SafetensorsFile.MAX_HEADER_BYTES + 1, r.nextLong()};
                long length = lengths[r.nextInt(lengths.length)];
                return file(header, length == header.length ? (long) header.length + 1 : length, DATA);
            }
            case 1: { // JSON syntax: a strict prefix, a broken structural character, or not an object
                int choice = r.nextInt(3);
                if (choice == 0) {
                    return file(Arrays.copyOf(header, r.nextInt(header.length - 1)), null, DATA);
                }
                if (choice == 1) {
                    byte[] broken = header.clone();
                    int at;
                    do {
                        at = r.nextInt(broken.length);
                    } while ("{}[]:,\"".indexOf(broken[at]) < 0);
                    broken[at] = 'x';
                    return file(broken, null, DATA);
                }
                String[] notObjects = {"[]", "42", "\"s\"", "null", "true", "  ", "{}", "[{\"a\":1}]"};
                return file(notObjects[r.nextInt(notObjects.length)].getBytes(StandardCharsets.UTF_8), null, DATA);
            }
            case 2: { // unknown dtype
                String[] dtypes = {"F31", "f32", "FLOAT", "", "Q4_0", "F128", "BF32", "F32 ", "I4", "COMPLEX64"};
                return withEntry(r, "a", e -> e.put("dtype", dtypes[r.nextInt(dtypes.length)]));
            }
            case 3: { // shape that disagrees with the byte range, or is not a shape
                return withEntry(r, "a", e -> {
                    ArrayNode shape = JSON.createArrayNode();
                    switch (r.nextInt(6)) {
                        case 0 -> {
                            int x;
                            int y;
                            do {
                                x = r.nextInt(10);
                                y = r.nextInt(10);
                            } while (x * y == 6);
                            shape.add(x).add(y);
                        }
                        case 1 -> shape.add(-2).add(-3);
                        case 2 -> shape.add(2.5).add(2.4);
                        case 3 -> shape.add("2").add("3");
                        case 4 -> shape.add(4294967296L).add(4294967296L).add(4294967296L);
                        default -> {
                            for (int d = 0; d < SafetensorsFile.MAX_RANK + 1; d++) {
                                shape.add(1);
                            }
                        }
                    }
                    e.set("shape", shape);
                });
            }
            case 4: { // byte range of the wrong size
                return withEntry(r, "a", e -> {
                    int delta;
                    do {
                        delta = r.nextInt(41) - 24;
                    } while (delta == 0);
                    e.set("data_offsets", JSON.createArrayNode().add(0).add(Math.max(0, 24 + delta)));
                    if (r.nextBoolean()) {
                        e.set("data_offsets", JSON.createArrayNode().add(24).add(0));
                    }
                });
            }
            case 5: { // overlapping ranges of the right size
                String[] names = {"b", "c", "b"};
                int[][] ranges = {{20, 28}, {28, 36}, {0, 8}};
                int pick = r.nextInt(names.length);
                return withEntry(r, names[pick], e ->
                        e.set("data_offsets", JSON.createArrayNode().add(ranges[pick][0]).add(ranges[pick][1])));
            }
            case 6: { // ranges outside the file
                return withEntry(r, "c", e -> {
                    long begin = switch (r.nextInt(3)) {
                        case 0 -> 40 + r.nextInt(1000);
                        case 1 -> Long.MAX_VALUE - 8;
                        default -> 1L << 62;
                    };
                    e.set("data_offsets", JSON.createArrayNode().add(begin).add(begin + 8));
                });
            }
            case 7: { // structurally wrong entries
                ObjectNode h = validHeader();
                ObjectNode b = (ObjectNode) h.get("b");
                switch (r.nextInt(8)) {
                    case 0 -> b.remove("dtype");
                    case 1 -> b.remove("shape");
                    case 2 -> b.remove("data_offsets");
                    case 3 -> b.put("extra", 1);
                    case 4 -> h.set("b", JSON.createArrayNode().add(1));
                    case 5 -> b.set("data_offsets", JSON.createArrayNode().add(24));
                    case 6 -> b.set("data_offsets", JSON.createArrayNode().add("24").add("32"));
                    default -> b.set("data_offsets", JSON.createArrayNode().add(-8).add(0));
                }
                return file(h.toString().getBytes(StandardCharsets.UTF_8), null, DATA);
            }
            case 8: { // duplicate tensor name
                String h = validHeader().toString();
                String duplicate = h.replace("\"c\":", "\"a\":");
                return file(duplicate.getBytes(StandardCharsets.UTF_8), null, DATA);
            }
            case 9: { // malformed metadata
                ObjectNode h = validHeader();
                switch (r.nextInt(3)) {
                    case 0 -> h.put("__metadata__", 5);
                    case 1 -> h.set("__metadata__", JSON.createObjectNode().put("k", 1));
                    default -> h.set("__metadata__", JSON.createArrayNode());
                }
                return file(h.toString().getBytes(StandardCharsets.UTF_8), null, DATA);
            }
            case 10: { // invalid UTF-8 in a tensor name
                String h = validHeader().toString().replace("\"b\":", "\"\u0001B\":");
                byte[] bytes = h.getBytes(StandardCharsets.UTF_8);
                int at = new String(bytes, StandardCharsets.ISO_8859_1).indexOf('\u0001');
                bytes[at] = (byte) 0xC3;
                bytes[at + 1] = (byte) 0x28;
                return file(bytes, null, DATA);
            }
            case 11: { // bytes appended after the last tensor
                byte[] extra = new byte[1 + r.nextInt(64)];
                r.nextBytes(extra);
                byte[] data = Arrays.copyOf(DATA, DATA.length + extra.length);
                System.arraycopy(extra, 0, data, DATA.length, extra.length);
                return file(header, null, data);
            }
            default: { // a tensor with an empty name
                String h = validHeader().toString().replace("\"b\":", "\"\":");
                return file(h.getBytes(StandardCharsets.UTF_8), null, DATA);
            }
        }
    }

    private static byte[] withEntry(Random r, String name, Consumer<ObjectNode> change) throws Exception {
        ObjectNode h = validHeader();
        change.accept((ObjectNode) h.get(name));
        return file(h.toString().getBytes(StandardCharsets.UTF_8), null, DATA);
    }

    private static ObjectNode validHeader() {
        ObjectNode h = JSON.createObjectNode();
        h.putObject("__metadata__").put("format", "pt");
        entry(h, "a", "F32", new int[] {2, 3}, 0, 24);
        entry(h, "b", "F16", new int[] {4}, 24, 32);
        entry(h, "c", "BF16", new int[] {2, 2}, 32, 40);
        return h;
    }

    private static void entry(ObjectNode h, String name, String dtype, int[] shape, long begin, long end) {
        ObjectNode e = h.putObject(name);
        e.put("dtype", dtype);
        ArrayNode s = e.putArray("shape");
        Arrays.stream(shape).forEach(s::add);
        e.putArray("data_offsets").add(begin).add(end);
    }

    /** 8-byte little-endian header length (or {@code lengthOverride}), header bytes, data. */
    private static byte[] file(byte[] header, Long lengthOverride, byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long length = lengthOverride == null ? header.length : lengthOverride;
        out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(length).array());
        out.writeBytes(header);
        out.writeBytes(data);
        return out.toByteArray();
    }

    private static byte[] data() {
        ByteBuffer b = ByteBuffer.allocate(40).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 6; i++) {
            b.putFloat(1.5f * (i + 1));
        }
        for (int i = 0; i < 4; i++) {
            b.putShort(HalfFloats.toF16(-0.25f * i));
        }
        for (int i = 0; i < 4; i++) {
            b.putShort(HalfFloats.toBf16(3f * i));
        }
        return b.array();
    }

    private Path write(String name, byte[] bytes) throws Exception {
        Path file = dir.resolve(name);
        Files.write(file, bytes);
        return file;
    }
}
