package io.maas.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The license report of the application's dependencies, docs/licenses.md, is generated from the CycloneDX SBOM
 * the build writes at package ({@code src/target/bom.json}); this check runs after package (Failsafe), writes the
 * fresh report to {@code src/target/licenses.md}, and fails when docs/licenses.md is stale or when a dependency
 * has no license or none of its licenses is on the allowed list below.
 */
class LicenseReportIT {
    private static final Path BOM = Path.of("target", "bom.json");
    private static final Path DOC = Path.of("..", "docs", "licenses.md");
    private static final Path FRESH = Path.of("target", "licenses.md");
    /** Licenses a dependency may be used under (for a dual-licensed one, any of its licenses). */
    private static final Set<String> ALLOWED = Set.of("Apache-2.0", "MIT", "MIT-0", "BSD-2-Clause", "BSD-3-Clause",
            "EPL-1.0", "EPL-2.0", "GPL-2.0-with-classpath-exception", "CC0-1.0", "0BSD", "Public Domain",
            "Go License", "UPL-1.0", "ISC", "Unicode-3.0", "Unicode-DFS-2016", "EDL-1.0", "BSD-3-Clause-No-Nuclear-Warranty",
            "Bouncy Castle Licence", "LGPL-2.1-only", "LGPL-2.1-or-later", "MPL-2.0");

    /**
     * Dependencies whose own POM declares no license, with the license found by review. The SBOM reads only the
     * artifact's POM; these inherit theirs from a parent.
     */
    private static final Map<String, String> REVIEWED = Map.of(
            "com.hubspot:algebra", "Apache-2.0",
            "com.hubspot.immutables:immutables-exceptions", "Apache-2.0");
    /** Why each entry of {@link #REVIEWED} holds, printed in the report. */
    private static final String REVIEW_NOTE = "inherited from the parent POM chain up to `com.hubspot:basepom`, "
            + "which declares The Apache License, Version 2.0 (jinjava's dependencies)";

    /** One dependency: coordinates, version and its licenses as declared in its POM. */
    record Component(String coordinates, String version, List<String> licenses) {
    }

    static List<Component> components(JsonNode bom) {
        Map<String, Component> sorted = new TreeMap<>();
        for (JsonNode c : bom.path("components")) {
            String group = c.path("group").asText();
            if (group.equals("io.maas")) {
                continue; // this project's own modules
            }
            List<String> licenses = new ArrayList<>();
            for (JsonNode l : c.path("licenses")) {
                if (l.has("expression")) {
                    licenses.add(l.path("expression").asText());
                } else {
                    JsonNode lic = l.path("license");
                    licenses.add(lic.hasNonNull("id") ? lic.path("id").asText() : lic.path("name").asText());
                }
            }
            String coordinates = group + ":" + c.path("name").asText();
            if (licenses.isEmpty() && REVIEWED.containsKey(coordinates)) {
                licenses.add(REVIEWED.get(coordinates) + " (reviewed)");
            }
            sorted.put(coordinates + ":" + c.path("version").asText(),
                    new Component(coordinates, c.path("version").asText(), licenses));
        }
        return new ArrayList<>(sorted.values());
    }

    static String render(List<Component> components) {
        Map<String, Integer> byLicense = new TreeMap<>();
        for (Component c : components) {
            byLicense.merge(c.licenses().isEmpty() ? "(none declared)" : String.join(" OR ", c.licenses()), 1, Integer::sum);
        }
        StringBuilder b = new StringBuilder();
        b.append("# Third-party licenses\n\n");
        b.append("Generated from the application's CycloneDX SBOM (`src/target/bom.json`, written by `./maas build` or\n");
        b.append("any `package`) by `LicenseReportIT`, which fails when this file is stale or a dependency's licenses are\n");
        b.append("not on its allowed list. To refresh: `./maas build && ./mvnw -B -pl src test-compile failsafe:integration-test "
                + "-Dit.test=LicenseReportIT` then `cp src/target/licenses.md docs/licenses.md`.\n");
        b.append("Runtime dependencies only (test and build tools are not shipped). \"A OR B\": dual-licensed, used under\n");
        b.append("either. Versions are those of the build that generated the file. \"(reviewed)\": the artifact's own POM\n");
        b.append("declares no license; ").append(REVIEW_NOTE).append(".\n\n");
        b.append("## Summary\n\n| licenses | dependencies |\n|---|---|\n");
        byLicense.forEach((l, n) -> b.append("| ").append(l).append(" | ").append(n).append(" |\n"));
        b.append("| **total** | ").append(components.size()).append(" |\n\n");
        b.append("## Native code inside jars\n\nA POM's license covers the jar, not always what it bundles: ")
                .append("`ai.djl.pytorch:pytorch-native-cpu` carries native PyTorch (`libtorch`, `libc10`: PyTorch's ")
                .append("BSD-3-Clause-style license) and GNU `libgomp` (GPL-3.0 with the GCC Runtime Library Exception); ")
                .append("`com.microsoft.onnxruntime:onnxruntime` carries `ThirdPartyNotices.txt` for its native library. ")
                .append("Ship those notices with the image.\n\n");
        b.append("## Dependencies\n\n| dependency | version | licenses |\n|---|---|---|\n");
        for (Component c : components) {
            b.append("| `").append(c.coordinates()).append("` | ").append(c.version()).append(" | ")
                    .append(c.licenses().isEmpty() ? "(none declared)" : String.join(" OR ", c.licenses())).append(" |\n");
        }
        return b.toString();
    }

    @Test
    void everyDependencyHasAnAllowedLicenseAndTheReportIsCurrent() throws IOException {
        assumeTrue(Files.exists(BOM), "no SBOM: the CycloneDX plugin does not run with mvn -o (offline flag)");
        List<Component> components = components(new ObjectMapper().readTree(BOM.toFile()));
        assertTrue(components.size() > 50, "the SBOM lists the application's dependencies: " + components.size());
        assertTrue(components.stream().anyMatch(c -> c.coordinates().equals("ai.djl.pytorch:pytorch-engine")),
                "the SBOM includes the inference module's dependencies (a stale ~/.m2 parent POM drops them)");
        List<String> refused = new ArrayList<>();
        for (Component c : components) {
            if (c.licenses().stream().map(l -> l.replace(" (reviewed)", "")).noneMatch(ALLOWED::contains)) {
                refused.add(c.coordinates() + ":" + c.version() + " " + c.licenses());
            }
        }
        assertTrue(refused.isEmpty(), "dependencies without an allowed license: " + refused);
        String fresh = render(components);
        Files.writeString(FRESH, fresh);
        assertEquals(Files.exists(DOC) ? Files.readString(DOC) : "", fresh,
                "docs/licenses.md is stale: cp src/target/licenses.md docs/licenses.md");
    }
}
