package io.maas.gateway.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * Making and hashing API key secrets. Keys carry 256 random bits, so a plain SHA-256 is a safe and fast
 * one-way hash for them (no salt or slow KDF is needed, unlike for passwords).
 */
public final class ApiKeySecrets {
    public static final String PREFIX = "sk-";
    private static final int RANDOM_BYTES = 32;
    private static final int VISIBLE_CHARS = 8;
    private static final SecureRandom RANDOM = new SecureRandom();

    private ApiKeySecrets() {
    }

    /** A new secret: {@code sk-} and 43 URL-safe base64 characters. */
    public static String newSecret() {
        byte[] bytes = new byte[RANDOM_BYTES];
        RANDOM.nextBytes(bytes);
        return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    public static byte[] hash(String secret) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java runtime", e);
        }
    }

    /** What may be shown of a key: enough to tell keys apart, far too little to use one. */
    public static String visiblePrefix(String secret) {
        return secret.substring(0, Math.min(secret.length(), VISIBLE_CHARS));
    }

    public static boolean looksLikeKey(String token) {
        return token != null && token.startsWith(PREFIX) && token.length() <= 256;
    }
}
