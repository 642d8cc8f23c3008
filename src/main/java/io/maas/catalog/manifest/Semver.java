package io.maas.catalog.manifest;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A semantic version (semver 2.0.0): {@code MAJOR.MINOR.PATCH[-pre][+build]}, ordered by precedence. */
public record Semver(long major, long minor, long patch, String preRelease, String text) {
    private static final Pattern SEMVER = Pattern.compile("(0|[1-9]\\d{0,8})\\.(0|[1-9]\\d{0,8})\\.(0|[1-9]\\d{0,8})"
            + "(?:-((?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\\.(?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
            + "(?:\\+([0-9a-zA-Z-]+(?:\\.[0-9a-zA-Z-]+)*))?");

    /** The version, or null when {@code text} is not semver (or longer than 64 characters). */
    public static Semver parse(String text) {
        if (text == null || text.length() > 64) {
            return null;
        }
        Matcher m = SEMVER.matcher(text);
        if (!m.matches()) {
            return null;
        }
        return new Semver(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), Long.parseLong(m.group(3)),
                m.group(4), text);
    }

    public boolean isRelease() {
        return preRelease == null;
    }
}
