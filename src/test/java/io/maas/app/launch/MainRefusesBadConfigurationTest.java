package io.maas.app.launch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real launcher, as a separate process, stops at once with a message naming the wrong key. */
class MainRefusesBadConfigurationTest {
    @TempDir
    Path dir;

    private record Run(int exitCode, String stderr) {
    }

    private Run launch(String key, String value) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder builder = new ProcessBuilder(List.of(java, "-cp", System.getProperty("java.class.path"),
                Main.class.getName()));
        builder.environment().put("MAAS_DATA_DIR", dir.toString());
        builder.environment().put(key, value);
        builder.redirectOutput(ProcessBuilder.Redirect.DISCARD);
        Process process = builder.start();
        String stderr = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "launcher exits");
        return new Run(process.exitValue(), stderr);
    }

    @Test
    void badPortStopsTheLauncherNamingTheKey() throws Exception {
        Run run = launch("MAAS_HTTP_PORT", "not-a-port");
        assertEquals(2, run.exitCode());
        assertTrue(run.stderr().contains("configuration error: MAAS_HTTP_PORT"), run.stderr());
    }

    @Test
    void badDatabaseUrlStopsTheLauncherNamingTheKey() throws Exception {
        Run run = launch("MAAS_DB_URL", "oracle:thin:@db");
        assertEquals(2, run.exitCode());
        assertTrue(run.stderr().contains("configuration error: MAAS_DB_URL"), run.stderr());
    }
}
