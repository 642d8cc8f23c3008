package io.maas.app.bootstrap;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The generated bootstrap key is saved readable by its owner only, replacing an older file. */
class BootstrapAdminKeyTest {
    @TempDir
    Path dataDir;

    @Test
    void theKeyFileIsOwnerOnlyAndHoldsTheKey() throws Exception {
        Path file = dataDir.resolve(BootstrapAdmin.KEY_FILE);
        Files.writeString(file, "old");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        BootstrapAdmin.writeOwnerOnly(file, "sk-new-key");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals("sk-new-key\n", Files.readString(file));
    }
}
