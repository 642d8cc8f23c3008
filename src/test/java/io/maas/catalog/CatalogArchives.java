package io.maas.catalog;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.maas.catalog.archive.SafeArchive;
import io.maas.catalog.manifest.Manifest;
import io.maas.catalog.signing.ManifestSignature;
import io.maas.inference.model.ModelGenerator;
import io.maas.inference.model.ModelShape;

/** Builds adapter archives for catalog tests: real generated adapters, manifests, signatures, and hostile entries. */
public final class CatalogArchives {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One archive entry: a regular file, or a link / other type with {@code linkTarget}. */
    public record Item(String name, byte[] content, char type, String linkTarget) {
        public static Item file(String name, byte[] content) {
            return new Item(name, content, 'f', null);
        }

        public static Item symlink(String name, String target) {
            return new Item(name, new byte[0], 's', target);
        }

        public static Item hardlink(String name, String target) {
            return new Item(name, new byte[0], 'h', target);
        }
    }

    private CatalogArchives() {
    }

    /** A generated PEFT adapter's files (rank 4, every module) for a model of {@code shape} named {@code base}. */
    public static Map<String, byte[]> adapterFiles(ModelShape shape, String base, long seed) {
        try {
            Path dir = Files.createTempDirectory("catalog-adapter-");
            ModelGenerator.writeAdapter(dir, shape, base, 4, 8.0, Set.copyOf(ModelGenerator.ADAPTER_MODULES), seed,
                    false);
            Map<String, byte[]> files = new LinkedHashMap<>();
            try (Stream<Path> list = Files.list(dir)) {
                for (Path p : list.sorted().toList()) {
                    files.put(p.getFileName().toString(), Files.readAllBytes(p));
                    Files.delete(p);
                }
            }
            Files.delete(dir);
            return files;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static ObjectNode manifest(String id, String version, String base, String license) {
        ObjectNode m = JSON.createObjectNode();
        m.put("id", id);
        m.put("version", version);
        m.put("base_model", base);
        m.put("display_name", "Adapter " + id);
        m.put("description", "A generated test adapter");
        m.putArray("tags").add("summarization").add("lang:en");
        m.put("license", license);
        m.putObject("price").put("input_micros_per_token", 0.5).put("output_micros_per_token", 1.5);
        return m;
    }

    public static byte[] json(ObjectNode node) {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(node);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The files plus the manifest, as archive items. */
    public static List<Item> items(Map<String, byte[]> files, ObjectNode manifest) {
        List<Item> items = new ArrayList<>();
        items.add(Item.file(Manifest.FILE, json(manifest)));
        files.forEach((n, c) -> items.add(Item.file(n, c)));
        return items;
    }

    public static KeyPair newKeyPair() {
        try {
            return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Base64 of the raw 32-byte public key (the last 32 bytes of its X.509 encoding). */
    public static String rawPublicKey(KeyPair pair) {
        byte[] der = pair.getPublic().getEncoded();
        return Base64.getEncoder().encodeToString(java.util.Arrays.copyOfRange(der, der.length - 32, der.length));
    }

    /** Adds {@code maas-manifest.sig}: the Ed25519 signature of the canonical form of these items. */
    public static List<Item> signed(List<Item> items, PrivateKey key) {
        List<SafeArchive.Entry> entries = new ArrayList<>();
        for (Item i : items) {
            entries.add(new SafeArchive.Entry(i.name(), sha256(i.content()), i.content().length));
        }
        try {
            Signature s = Signature.getInstance("Ed25519");
            s.initSign(key);
            s.update(ManifestSignature.canonical(entries));
            List<Item> out = new ArrayList<>(items);
            out.add(Item.file(Manifest.SIGNATURE_FILE,
                    Base64.getEncoder().encodeToString(s.sign()).getBytes(StandardCharsets.US_ASCII)));
            return out;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String sha256(byte[] content) {
        try {
            return HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(content));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    public static byte[] tarGz(List<Item> items) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GzipCompressorOutputStream gz = new GzipCompressorOutputStream(bytes);
                TarArchiveOutputStream tar = new TarArchiveOutputStream(gz)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            for (Item i : items) {
                TarArchiveEntry e;
                if (i.type() == 's') {
                    e = new TarArchiveEntry(i.name(), TarArchiveEntry.LF_SYMLINK, true);
                    e.setLinkName(i.linkTarget());
                } else if (i.type() == 'h') {
                    e = new TarArchiveEntry(i.name(), TarArchiveEntry.LF_LINK, true);
                    e.setLinkName(i.linkTarget());
                } else {
                    e = new TarArchiveEntry(i.name(), true); // keep absolute paths as given: hostile tests need them
                    e.setSize(i.content().length);
                }
                tar.putArchiveEntry(e);
                if (i.type() == 'f') {
                    tar.write(i.content());
                }
                tar.closeArchiveEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    public static byte[] zip(List<Item> items) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipArchiveOutputStream zip = new ZipArchiveOutputStream(bytes)) {
            for (Item i : items) {
                ZipArchiveEntry e = new ZipArchiveEntry(i.name());
                byte[] content = i.content();
                if (i.type() == 's') {
                    e.setUnixMode(0120777);
                    content = i.linkTarget().getBytes(StandardCharsets.UTF_8);
                }
                zip.putArchiveEntry(e);
                zip.write(content);
                zip.closeArchiveEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }
}
