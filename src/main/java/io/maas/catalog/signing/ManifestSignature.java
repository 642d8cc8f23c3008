package io.maas.catalog.signing;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.List;

import io.maas.catalog.CatalogRejection;
import io.maas.catalog.archive.SafeArchive;
import io.maas.catalog.manifest.Manifest;

/**
 * Ed25519 signatures over an adapter version (JDK 17's built-in {@code Ed25519}). What is signed is a canonical
 * text naming the SHA-256 of the manifest file's exact bytes and of every other file (sorted by path), so changing
 * any file, claim or price after signing breaks the signature:
 * <pre>
 * maas-adapter-signature-v1
 * manifest &lt;sha256 of maas-manifest.json&gt;
 * file &lt;sha256&gt; &lt;size&gt; &lt;path&gt;      (one line per file, sorted by path; the .sig file excluded)
 * </pre>
 * Lines end with {@code \n}; the signature file holds the 64-byte signature in base64.
 */
public final class ManifestSignature {
    public static final String HEADER = "maas-adapter-signature-v1";
    /** DER prefix of an X.509 SubjectPublicKeyInfo for a raw 32-byte Ed25519 key (RFC 8410). */
    private static final byte[] X509_PREFIX = java.util.HexFormat.of().parseHex("302a300506032b6570032100");

    private ManifestSignature() {
    }

    /** The canonical bytes signed for these files (as unpacked, manifest included, signature excluded). */
    public static byte[] canonical(List<SafeArchive.Entry> files) {
        StringBuilder sb = new StringBuilder(HEADER).append('\n');
        String manifest = files.stream().filter(f -> f.path().equals(Manifest.FILE)).map(SafeArchive.Entry::sha256)
                .findFirst().orElseThrow(() -> new IllegalArgumentException("no manifest"));
        sb.append("manifest ").append(manifest).append('\n');
        files.stream().filter(f -> !f.path().equals(Manifest.FILE) && !f.path().equals(Manifest.SIGNATURE_FILE))
                .sorted(java.util.Comparator.comparing(SafeArchive.Entry::path))
                .forEach(f -> sb.append("file ").append(f.sha256()).append(' ').append(f.sizeBytes()).append(' ')
                        .append(f.path()).append('\n'));
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** A provider's key from base64 of either the raw 32 bytes or an X.509 SubjectPublicKeyInfo; null if invalid. */
    public static PublicKey parsePublicKey(String base64) {
        try {
            byte[] bytes = Base64.getDecoder().decode(base64.trim());
            if (bytes.length == 32) {
                byte[] der = new byte[X509_PREFIX.length + 32];
                System.arraycopy(X509_PREFIX, 0, der, 0, X509_PREFIX.length);
                System.arraycopy(bytes, 0, der, X509_PREFIX.length, 32);
                bytes = der;
            }
            return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(bytes));
        } catch (IllegalArgumentException | GeneralSecurityException e) {
            return null;
        }
    }

    /** Refuses with {@code signature_invalid} unless {@code signatureBase64} signs {@code canonical} under {@code key}. */
    public static void verify(PublicKey key, byte[] canonical, String signatureBase64) {
        boolean ok;
        try {
            byte[] sig = Base64.getDecoder().decode(signatureBase64.trim());
            Signature verifier = Signature.getInstance("Ed25519");
            verifier.initVerify(key);
            verifier.update(canonical);
            ok = sig.length == 64 && verifier.verify(sig);
        } catch (IllegalArgumentException | GeneralSecurityException e) {
            ok = false;
        }
        if (!ok) {
            throw new CatalogRejection("signature_invalid", Manifest.SIGNATURE_FILE + " does not verify against the "
                    + "provider's registered Ed25519 key over the manifest and file digests (a file, the manifest or "
                    + "the signature changed after signing, or another key signed it)");
        }
    }
}
