package io.maas.app.config;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/** docs/configuration.md lists every key of {@link MaasConfig}, so the table cannot drift from the code. */
class ConfigurationDocTest {

    @Test
    void everyConfigKeyIsDocumented() throws IOException {
        String doc = Files.readString(Path.of("..", "docs", "configuration.md"));
        List<String> missing = new ArrayList<>();
        for (String key : keys("maas", MaasConfig.class)) {
            if (!doc.contains("`" + key + "`")) {
                missing.add(key);
            }
        }
        assertTrue(missing.isEmpty(), "undocumented keys in docs/configuration.md: " + missing);
    }

    private static List<String> keys(String prefix, Class<?> group) {
        List<String> keys = new ArrayList<>();
        for (Method method : group.getMethods()) {
            if (method.isSynthetic() || method.isDefault() || method.getParameterCount() > 0) {
                continue;
            }
            String key = prefix + "." + kebab(method.getName());
            Class<?> type = method.getReturnType();
            if (type.isInterface() && type.getEnclosingClass() == MaasConfig.class) {
                keys.addAll(keys(key, type));
            } else {
                keys.add(key);
            }
        }
        return keys;
    }

    private static String kebab(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase();
    }
}
