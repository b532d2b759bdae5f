package dev.edgelink.libp2p.encoding;

import dev.edgelink.libp2p.InternalException;
import dev.edgelink.libp2p.ProtocolViolationException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * A multihash: a self-describing digest. libp2p uses two functions: {@code identity} (the "digest" is the data
 * itself, for short public keys inlined in a peer id) and {@code sha2-256}.
 *
 * <pre>
 *  +----------------+-------------------+---------------------+
 *  | code (varint)  | length (varint)   | digest (length B)   |
 *  +----------------+-------------------+---------------------+
 *    0x00 identity    any                 the data itself
 *    0x12 sha2-256    32                  SHA-256 of the data
 * </pre>
 *
 * <p>Immutable. {@link #decode(byte[])} validates the whole structure: known code, minimal varints, a length that
 * matches the bytes present and, for sha2-256, exactly 32 bytes. Other hash functions are rejected: no peer id uses
 * them, and accepting them would let one peer have several ids.
 */
public final class Multihash {

    /** Multicodec code of the identity function. */
    public static final int IDENTITY = 0x00;
    /** Multicodec code of SHA-256. */
    public static final int SHA2_256 = 0x12;
    /** Digest length of SHA-256. */
    public static final int SHA2_256_LENGTH = 32;

    private final int code;
    private final byte[] digest;

    private Multihash(int code, byte[] digest) {
        this.code = code;
        this.digest = digest;
    }

    /** The identity multihash of {@code data}: the data itself, wrapped. */
    public static Multihash identity(byte[] data) {
        return new Multihash(IDENTITY, data.clone());
    }

    /** The sha2-256 multihash of {@code data}. */
    public static Multihash sha256(byte[] data) {
        return new Multihash(SHA2_256, sha256Digest(data));
    }

    /**
     * Decodes and validates a binary multihash that fills {@code bytes} exactly.
     *
     * @throws ProtocolViolationException if the code is not identity or sha2-256, a varint is malformed, the length
     *     disagrees with the bytes present, or a sha2-256 digest is not 32 bytes
     */
    public static Multihash decode(byte[] bytes) {
        Varint.Decoded code = Varint.decode(bytes, 0);
        if (code.value() != IDENTITY && code.value() != SHA2_256) {
            throw new ProtocolViolationException("unsupported multihash code 0x" + Long.toHexString(code.value())
                    + " (only identity 0x00 and sha2-256 0x12 are used by libp2p)");
        }
        Varint.Decoded length = Varint.decode(bytes, code.length());
        int start = code.length() + length.length();
        long present = bytes.length - start;
        if (length.value() != present) {
            throw new ProtocolViolationException(
                    "multihash length field says " + length.value() + " bytes, " + present + " present");
        }
        if (code.value() == SHA2_256 && present != SHA2_256_LENGTH) {
            throw new ProtocolViolationException(
                    "sha2-256 multihash digest must be " + SHA2_256_LENGTH + " bytes, got " + present);
        }
        return new Multihash((int) code.value(), Arrays.copyOfRange(bytes, start, bytes.length));
    }

    /** The binary form: code, length, digest. */
    public byte[] encode() {
        int codeLength = Varint.encodedLength(code);
        byte[] out = new byte[codeLength + Varint.encodedLength(digest.length) + digest.length];
        int pos = Varint.write(code, out, 0);
        pos = Varint.write(digest.length, out, pos);
        System.arraycopy(digest, 0, out, pos, digest.length);
        return out;
    }

    /** The multicodec code of the hash function ({@link #IDENTITY} or {@link #SHA2_256}). */
    public int code() {
        return code;
    }

    /** A copy of the digest (for identity: the data itself). */
    public byte[] digest() {
        return digest.clone();
    }

    /** Whether this multihash is the digest of {@code data} under its own hash function. */
    public boolean isDigestOf(byte[] data) {
        byte[] expected = code == IDENTITY ? data : sha256Digest(data);
        return MessageDigest.isEqual(expected, digest);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Multihash other && code == other.code && Arrays.equals(digest, other.digest);
    }

    @Override
    public int hashCode() {
        return 31 * code + Arrays.hashCode(digest);
    }

    @Override
    public String toString() {
        String name = code == IDENTITY ? "identity" : "sha2-256";
        return name + ":" + HexFormat.of().formatHex(digest);
    }

    private static byte[] sha256Digest(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new InternalException("SHA-256 is missing from this JVM", e);
        }
    }
}
