package io.maas.catalog.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.maas.catalog.CatalogArchives;
import io.maas.catalog.CatalogArchives.Item;
import io.maas.catalog.CatalogRejection;

/** The archive rules without the server: names, links, counts, sizes and digests. */
class SafeArchiveTest {
    private static final SafeArchive.Limits LIMITS = new SafeArchive.Limits(8, 1 << 20, 2 << 20, 100);

    @TempDir
    Path tmp;

    private String rule(Runnable r) {
        return assertThrows(CatalogRejection.class, r::run).rule();
    }

    @Test
    void pathsAreNormalizedOrRefused() {
        assertEquals("a/b.json", SafeArchive.safePath("./a//b.json"));
        assertEquals("archive_path_traversal", rule(() -> SafeArchive.safePath("a/../../b.json")));
        assertEquals("archive_path_traversal", rule(() -> SafeArchive.safePath("a\\..\\b.json")));
        assertEquals("archive_absolute_path", rule(() -> SafeArchive.safePath("/etc/passwd")));
        assertEquals("archive_absolute_path", rule(() -> SafeArchive.safePath("C:/evil.json")));
    }

    @Test
    void filesAreUnpackedWithTheirDigests() throws IOException {
        byte[] content = "{\"a\":1}".getBytes(StandardCharsets.UTF_8);
        Path archive = tmp.resolve("a.tar.gz");
        Files.write(archive, CatalogArchives.tarGz(List.of(Item.file("dir/x.json", content))));
        List<SafeArchive.Entry> entries = SafeArchive.extract(archive, tmp.resolve("out"), LIMITS);
        assertEquals(List.of(new SafeArchive.Entry("dir/x.json", CatalogArchives.sha256(content), content.length)),
                entries);
    }

    @Test
    void aSymlinkInAZipIsRefusedBeforeAnythingIsWrittenThroughIt() throws IOException {
        Path archive = tmp.resolve("a.zip");
        Files.write(archive, CatalogArchives.zip(List.of(Item.symlink("link", tmp.resolve("victim").toString()),
                Item.file("link", "x".getBytes(StandardCharsets.UTF_8)))));
        assertEquals("archive_link", rule(() -> {
            try {
                SafeArchive.extract(archive, tmp.resolve("out"), LIMITS);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }));
        assertFalse(Files.exists(tmp.resolve("victim")));
    }

    @Test
    void aFolderWithASymlinkIsRefused() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("src"));
        Files.writeString(dir.resolve("ok.json"), "{}");
        Files.createSymbolicLink(dir.resolve("README.md"), Path.of("/etc/passwd"));
        assertEquals("archive_link", rule(() -> {
            try {
                SafeArchive.copyDirectory(dir, tmp.resolve("out"), LIMITS);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }));
    }
}
