package dev.edgelink.discovery.trust;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * The SHA-256 of a certificate's exact encoded bytes (its {@code SignedTrust} envelope, signature included). It names
 * a certificate in revocation lists, in the signature cache and in messages; a node certificate names its CA by the
 * fingerprint of the CA certificate. Immutable; equal when the 32 bytes are equal.
 */
public final class Fingerprint implements Comparable<Fingerprint> {

    /** Length of a fingerprint: a SHA-256 digest. */
    public static final int BYTES = 32;
    private static final HexFormat HEX = HexFormat.of();

    private final byte[] bytes;

    private Fingerprint(byte[] bytes) {
        this.bytes = bytes;
    }

    /** The fingerprint of {@code encoded}: its SHA-256. */
    public static Fingerprint of(byte[] encoded) {
        try {
            return new Fingerprint(MessageDigest.getInstance("SHA-256").digest(encoded));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /**
     * A fingerprint from its 32 digest bytes, as carried in certificates and revocation lists.
     *
     * @throws IllegalArgumentException if there are not exactly 32 bytes
     */
    public static Fingerprint fromBytes(byte[] digest) {
        if (digest.length != BYTES) {
            throw new IllegalArgumentException("a fingerprint is " + BYTES + " bytes, got " + digest.length);
        }
        return new Fingerprint(digest.clone());
    }

    /**
     * Parses the 64 hex digits of {@link #hex()} (either case).
     *
     * @throws IllegalArgumentException naming the text if it is not 64 hex digits
     */
    public static Fingerprint fromHex(String hex) {
        if (hex.length() != 2 * BYTES) {
            throw new IllegalArgumentException("fingerprint '" + hex + "' is not " + 2 * BYTES + " hex digits");
        }
        try {
            return new Fingerprint(HEX.parseHex(hex));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("fingerprint '" + hex + "' is not " + 2 * BYTES + " hex digits", e);
        }
    }

    /** A copy of the 32 digest bytes. */
    public byte[] bytes() {
        return bytes.clone();
    }

    /** All 64 hex digits, lower case. */
    public String hex() {
        return HEX.formatHex(bytes);
    }

    @Override
    public int compareTo(Fingerprint other) {
        return Arrays.compareUnsigned(bytes, other.bytes);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Fingerprint other && Arrays.equals(bytes, other.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    /** The first 16 hex digits (64 bits): enough to tell certificates apart in a message. */
    @Override
    public String toString() {
        return hex().substring(0, 16);
    }
}
