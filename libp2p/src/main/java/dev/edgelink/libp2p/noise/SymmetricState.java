package dev.edgelink.libp2p.noise;

import dev.edgelink.libp2p.InternalException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The Noise {@code SymmetricState} with SHA-256: the chaining key {@code ck}, the handshake hash {@code h} and the
 * current {@link CipherState}. HKDF is the Noise spec's two/three-output HKDF over HMAC-SHA256 (RFC 5869 extract
 * with salt {@code ck}, then expand without info), which is what every libp2p implementation computes.
 */
final class SymmetricState {

    static final int HASH_LEN = 32;

    private final MessageDigest sha256;
    private final Mac hmac;
    private byte[] ck;
    private byte[] h;
    private CipherState cipher = new CipherState(null);

    SymmetricState(String protocolName) {
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
            hmac = Mac.getInstance("HmacSHA256");
        } catch (NoSuchAlgorithmException e) {
            throw new InternalException("noise: the JDK has no SHA-256/HmacSHA256", e);
        }
        byte[] name = protocolName.getBytes(StandardCharsets.US_ASCII);
        // Names of up to 32 bytes are zero-padded, longer ones hashed (Noise spec 5.2, InitializeSymmetric).
        h = name.length <= HASH_LEN ? Arrays.copyOf(name, HASH_LEN) : sha256.digest(name);
        ck = h.clone();
    }

    void mixKey(byte[] inputKeyMaterial) {
        byte[][] out = hkdf(ck, inputKeyMaterial);
        ck = out[0];
        cipher = new CipherState(out[1]);
    }

    void mixHash(byte[] data) {
        sha256.update(h);
        sha256.update(data);
        h = sha256.digest();
    }

    byte[] encryptAndHash(byte[] plaintext) {
        byte[] ciphertext = cipher.encryptWithAd(h, plaintext);
        mixHash(ciphertext);
        return ciphertext;
    }

    byte[] decryptAndHash(byte[] ciphertext) {
        byte[] plaintext = cipher.decryptWithAd(h, ciphertext);
        mixHash(ciphertext);
        return plaintext;
    }

    boolean hasKey() {
        return cipher.hasKey();
    }

    /**
     * The two transport cipher states: [0] for initiator-to-responder, [1] for responder-to-initiator. The caller
     * owns them and closes them when the connection ends.
     */
    CipherState[] split() {
        byte[][] out = hkdf(ck, new byte[0]);
        CipherState first = CipherState.forTransport(out[0]);
        try {
            return new CipherState[] {first, CipherState.forTransport(out[1])};
        } catch (RuntimeException e) {
            first.close();
            throw e;
        } finally {
            Arrays.fill(out[0], (byte) 0);
            Arrays.fill(out[1], (byte) 0);
        }
    }

    byte[] handshakeHash() {
        return h.clone();
    }

    /** HKDF(ck, ikm) with two outputs, each HASH_LEN bytes. */
    private byte[][] hkdf(byte[] chainingKey, byte[] inputKeyMaterial) {
        byte[] tempKey = hmac(chainingKey, inputKeyMaterial);
        byte[] output1 = hmac(tempKey, new byte[] {0x01});
        byte[] output2 = hmac(tempKey, concat(output1, new byte[] {0x02}));
        return new byte[][] {output1, output2};
    }

    private byte[] hmac(byte[] key, byte[] data) {
        try {
            hmac.init(new SecretKeySpec(key, "HmacSHA256"));
        } catch (GeneralSecurityException e) {
            throw new InternalException("noise: HMAC key rejected", e);
        }
        return hmac.doFinal(data);
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
