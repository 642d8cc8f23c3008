package io.maas.catalog.archive;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipFile;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

import io.maas.catalog.CatalogRejection;

/**
 * Unpacks an uploaded {@code .tar.gz} or {@code .zip} into an empty staging folder, entry by entry, refusing the
 * whole archive on the first unsafe entry: path traversal, absolute paths, links, special files, duplicates, too
 * many files, oversized files, a compression ratio past the bound, pickle or unknown file types. Sizes are counted
 * on the bytes actually read, never taken from headers. Each file's SHA-256 is computed while it is written.
 */
public final class SafeArchive {
    /** Pickle checkpoints: loading them runs code. */
    public static final Set<String> PICKLE_EXTENSIONS = Set.of("bin", "pt", "pth", "pkl", "pickle", "ckpt");
    /** What an adapter archive may contain besides its safetensors weights. */
    public static final Set<String> ALLOWED_EXTENSIONS = Set.of("safetensors", "json", "sig", "md", "txt");
    /** Ratio checks start past this many uncompressed bytes, so tiny well-compressing files pass. */
    static final long RATIO_FLOOR_BYTES = 1L << 20;

    /** The bounds an archive is checked against. */
    public record Limits(int maxFiles, long maxFileBytes, long maxTotalBytes, int maxCompressionRatio) {
    }

    /** One unpacked file: its path relative to the archive's root, digest and size. */
    public record Entry(String path, String sha256, long sizeBytes) {
    }

    private SafeArchive() {
    }

    /** Unpacks {@code archive} into {@code target} (created, must not exist) and returns its files, sorted by path. */
    public static List<Entry> extract(Path archive, Path target, Limits limits) throws IOException {
        Files.createDirectories(target);
        long archiveBytes = Math.max(1, Files.size(archive));
        Counter counter = new Counter(limits, archiveBytes);
        byte[] magic = new byte[4];
        try (InputStream in = Files.newInputStream(archive)) {
            int n = in.readNBytes(magic, 0, 4);
            if (n < 2) {
                throw new CatalogRejection("archive_unsupported_format", "the upload is empty or not an archive");
            }
        }
        List<Entry> entries = new ArrayList<>();
        if ((magic[0] & 0xff) == 0x1f && (magic[1] & 0xff) == 0x8b) {
            extractTarGz(archive, target, counter, entries);
        } else if (magic[0] == 'P' && magic[1] == 'K') {
            extractZip(archive, target, counter, entries);
        } else {
            throw new CatalogRejection("archive_unsupported_format",
                    "the upload is neither a .tar.gz (gzip) nor a .zip archive");
        }
        entries.sort(java.util.Comparator.comparing(Entry::path));
        return Collections.unmodifiableList(entries);
    }

    /**
     * Copies a server-side folder into {@code target} under the same rules as an archive: links and special files
     * refused (never followed), the same bounds; the compression ratio does not apply.
     */
    public static List<Entry> copyDirectory(Path source, Path target, Limits limits) throws IOException {
        Files.createDirectories(target);
        Counter counter = new Counter(new Limits(limits.maxFiles(), limits.maxFileBytes(), limits.maxTotalBytes(),
                Integer.MAX_VALUE), 1);
        List<Entry> out = new ArrayList<>();
        List<Path> paths;
        try (Stream<Path> walk = Files.walk(source)) { // does not follow links
            paths = walk.sorted().toList();
        }
        for (Path p : paths) {
            String name = source.relativize(p).toString().replace(java.io.File.separatorChar, '/');
            if (Files.isSymbolicLink(p)) {
                throw new CatalogRejection("archive_link", "'" + printable(name) + "' is a symbolic link");
            }
            if (p.equals(source) || Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                continue;
            }
            if (!Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                throw new CatalogRejection("archive_special_file", "'" + printable(name) + "' is not a regular file");
            }
            try (InputStream in = Files.newInputStream(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                out.add(write(in, safePath(name), target, counter));
            }
        }
        out.sort(java.util.Comparator.comparing(Entry::path));
        return Collections.unmodifiableList(out);
    }

    private static void extractTarGz(Path archive, Path target, Counter counter, List<Entry> out) throws IOException {
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(archive));
                GzipCompressorInputStream gz = new GzipCompressorInputStream(raw, true);
                TarArchiveInputStream tar = new TarArchiveInputStream(gz)) {
            TarArchiveEntry e;
            while ((e = tar.getNextEntry()) != null) {
                String name = e.getName();
                if (e.isSymbolicLink() || e.isLink()) {
                    throw new CatalogRejection("archive_link", "entry '" + printable(name) + "' is a "
                            + (e.isSymbolicLink() ? "symbolic" : "hard") + " link; archives may hold only regular files");
                }
                String path = safePath(name);
                if (e.isDirectory() || path.isEmpty()) {
                    continue;
                }
                if (!e.isFile()) {
                    throw new CatalogRejection("archive_special_file", "entry '" + printable(name)
                            + "' is not a regular file (device, fifo or other special entry)");
                }
                out.add(write(tar, path, target, counter));
            }
        } catch (IOException e) {
            throw new CatalogRejection("archive_corrupt", "the archive cannot be read: " + e.getMessage());
        }
    }

    private static void extractZip(Path archive, Path target, Counter counter, List<Entry> out) throws IOException {
        try (ZipFile zip = ZipFile.builder().setPath(archive).get()) {
            for (ZipArchiveEntry e : Collections.list(zip.getEntriesInPhysicalOrder())) {
                String name = e.getName();
                if (e.isUnixSymlink()) {
                    throw new CatalogRejection("archive_link", "entry '" + printable(name)
                            + "' is a symbolic link; archives may hold only regular files");
                }
                String path = safePath(name);
                if (e.isDirectory() || path.isEmpty()) {
                    continue;
                }
                int type = e.getUnixMode() & 0170000;
                if (e.getPlatform() == ZipArchiveEntry.PLATFORM_UNIX && type != 0 && type != 0100000) {
                    throw new CatalogRejection("archive_special_file", "entry '" + printable(name)
                            + "' is not a regular file");
                }
                if (!zip.canReadEntryData(e)) {
                    throw new CatalogRejection("archive_corrupt", "entry '" + printable(name)
                            + "' uses an unsupported compression method or encryption");
                }
                try (InputStream in = zip.getInputStream(e)) {
                    out.add(write(in, path, target, counter));
                }
            }
        } catch (IOException e) {
            throw new CatalogRejection("archive_corrupt", "the archive cannot be read: " + e.getMessage());
        }
    }

    /**
     * The entry's path, normalized ({@code ./} and empty segments dropped), refused when absolute, when any segment
     * is {@code ..}, or when it holds a backslash or NUL (names other tools read as separators or terminators).
     */
    static String safePath(String name) {
        if (name == null || name.isEmpty()) {
            throw new CatalogRejection("archive_path_traversal", "an entry has an empty name");
        }
        if (name.startsWith("/") || name.matches("^[A-Za-z]:.*")) {
            throw new CatalogRejection("archive_absolute_path", "entry '" + printable(name)
                    + "' has an absolute path; paths must be relative to the archive's root");
        }
        if (name.indexOf('\\') >= 0 || name.indexOf('\0') >= 0) {
            throw new CatalogRejection("archive_path_traversal", "entry '" + printable(name)
                    + "' contains a backslash or NUL character");
        }
        List<String> segments = new ArrayList<>();
        for (String s : name.split("/")) {
            if (s.equals("..")) {
                throw new CatalogRejection("archive_path_traversal", "entry '" + printable(name)
                        + "' climbs out of the archive's root with '..'");
            }
            if (!s.isEmpty() && !s.equals(".")) {
                segments.add(s);
            }
        }
        return String.join("/", segments);
    }

    private static Entry write(InputStream in, String path, Path target, Counter counter) throws IOException {
        counter.file(path);
        checkType(path);
        Path file = target.resolve(path).normalize();
        if (!file.startsWith(target)) { // safePath already refused this: a second, independent guard
            throw new CatalogRejection("archive_path_traversal", "entry '" + printable(path) + "' leaves the archive's root");
        }
        Files.createDirectories(file.getParent());
        MessageDigest sha = sha256();
        long size = 0;
        byte[] buf = new byte[64 * 1024];
        try (OutputStream os = Files.newOutputStream(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            int n;
            while ((n = in.read(buf)) > 0) {
                size += n;
                counter.bytes(path, size, n);
                sha.update(buf, 0, n);
                os.write(buf, 0, n);
            }
        }
        return new Entry(path, HexFormat.of().formatHex(sha.digest()), size);
    }

    private static void checkType(String path) {
        String file = path.substring(path.lastIndexOf('/') + 1);
        int dot = file.lastIndexOf('.');
        String ext = dot < 0 ? "" : file.substring(dot + 1).toLowerCase(Locale.ROOT);
        if (PICKLE_EXTENSIONS.contains(ext)) {
            throw new CatalogRejection("pickle_refused", "'" + printable(path) + "' is a pickle checkpoint (." + ext
                    + "): loading it can run arbitrary code; publish safetensors weights instead");
        }
        boolean plainDoc = dot < 0 && (file.equals("LICENSE") || file.equals("README") || file.equals("NOTICE"));
        if (file.startsWith(".") || !(plainDoc || ALLOWED_EXTENSIONS.contains(ext))) {
            throw new CatalogRejection("file_type_not_allowed", "'" + printable(path) + "' is not an allowed file type "
                    + "(weights as .safetensors; configuration .json; documentation .md, .txt, LICENSE, README)");
        }
    }

    /** Counts files and bytes against the limits as they are read. */
    private static final class Counter {
        private final Limits limits;
        private final long archiveBytes;
        private final Set<String> seen = new HashSet<>();
        private int files;
        private long total;

        Counter(Limits limits, long archiveBytes) {
            this.limits = limits;
            this.archiveBytes = archiveBytes;
        }

        void file(String path) {
            // Case-folded too: two names that differ only in case collide on case-insensitive filesystems.
            if (!seen.add(path) || !seen.add("\0" + path.toLowerCase(Locale.ROOT))) {
                throw new CatalogRejection("archive_duplicate_entry", "entry '" + printable(path)
                        + "' appears more than once in the archive");
            }
            if (++files > limits.maxFiles()) {
                throw new CatalogRejection("archive_too_many_files", "the archive holds more than "
                        + limits.maxFiles() + " files");
            }
        }

        void bytes(String path, long fileSoFar, int added) {
            total += added;
            if (fileSoFar > limits.maxFileBytes()) {
                throw new CatalogRejection("archive_file_too_large", "'" + printable(path) + "' is larger than "
                        + limits.maxFileBytes() + " bytes uncompressed");
            }
            if (total > limits.maxTotalBytes()) {
                throw new CatalogRejection("archive_too_large", "the archive's files together exceed "
                        + limits.maxTotalBytes() + " bytes uncompressed");
            }
            if (total > RATIO_FLOOR_BYTES && total / archiveBytes > limits.maxCompressionRatio()) {
                throw new CatalogRejection("archive_compression_ratio", "the archive expands more than "
                        + limits.maxCompressionRatio() + " times its size (a decompression bomb?)");
            }
        }
    }

    /** Hex SHA-256 of a file. */
    public static String sha256(Path file) throws IOException {
        MessageDigest sha = sha256();
        byte[] buf = new byte[64 * 1024];
        try (InputStream in = Files.newInputStream(file)) {
            int n;
            while ((n = in.read(buf)) > 0) {
                sha.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A name as it may be quoted in a message: control characters escaped, bounded length. */
    static String printable(String name) {
        StringBuilder sb = new StringBuilder();
        for (char c : name.toCharArray()) {
            sb.append(c < 0x20 || c == 0x7f ? String.format("\\u%04x", (int) c) : String.valueOf(c));
            if (sb.length() > 200) {
                return sb.append("…").toString();
            }
        }
        return sb.toString();
    }

    /** Deletes a folder tree (staging); missing is fine. */
    public static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
