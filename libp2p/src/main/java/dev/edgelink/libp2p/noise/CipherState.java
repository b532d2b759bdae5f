package dev.edgelink.libp2p.noise;

import dev.edgelink.libp2p.InternalException;
import dev.edgelink.libp2p.ProtocolViolationException;
import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.ShortBufferException;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The Noise {@code CipherState} for ChaChaPoly: a 32-byte key {@code k} and a 64-bit message counter {@code n}.
 *
 * <pre>
 *  nonce (96 bits, RFC 8439):
 *  +--------+--------+--------+--------+--------+--------+--------+--------+--------+--------+--------+--------+
 *  |   0    |   0    |   0    |   0    |                 n, 64-bit little-endian                               |
 *  +--------+--------+--------+--------+--------+--------+--------+--------+--------+--------+--------+--------+
 *  ciphertext = ChaCha20(plaintext) || 16-byte Poly1305 tag
 * </pre>
 *
 * <p>The AEAD is the JDK's {@code ChaCha20-Poly1305}: measured faster than BouncyCastle's {@code ChaCha20Poly1305}
 * on 64 KiB messages, on JDK 17 and even more so on JDK 21+ where HotSpot has intrinsics for both halves (see
 * {@code NoiseCipherBenchmark} in the tests). Heap arrays are the fast path: the JDK copies direct buffers into
 * arrays internally, so callers hand arrays in.
 *
 * <p>Not thread-safe; one instance per direction. {@code n} never wraps: the value 2^64-1 is reserved by the Noise
 * spec, so the connection has to end before reaching it.
 */
public final class CipherState {

    /** Poly1305 tag length. */
    public static final int TAG_LENGTH = 16;

    /** Unsigned 2^64-1: reserved, never used as a nonce. */
    private static final long NONCE_EXHAUSTED = -1L;

    private final SecretKeySpec key;
    private final Cipher cipher;
    private final byte[] nonceBytes = new byte[12];
    private long nonce;

    /** A cipher state with key {@code k}; {@code null} means "no key yet" (encryption is the identity). */
    public CipherState(byte[] k) {
        if (k == null) {
            key = null;
            cipher = null;
            return;
        }
        if (k.length != 32) {
            throw new InternalException("noise: cipher key must be 32 bytes, got " + k.length);
        }
        key = new SecretKeySpec(k, "ChaCha20");
        try {
            cipher = Cipher.getInstance("ChaCha20-Poly1305");
        } catch (GeneralSecurityException e) {
            throw new InternalException("noise: the JDK has no ChaCha20-Poly1305", e);
        }
    }

    public boolean hasKey() {
        return key != null;
    }

    /** The next nonce to be used (unsigned). */
    public long nonce() {
        return nonce;
    }

    /** Encrypts {@code plaintext} with associated data {@code ad}; without a key returns a copy of the input. */
    public byte[] encryptWithAd(byte[] ad, byte[] plaintext) {
        if (!hasKey()) {
            return plaintext.clone();
        }
        byte[] out = new byte[plaintext.length + TAG_LENGTH];
        crypt(Cipher.ENCRYPT_MODE, ad, plaintext, 0, plaintext.length, out, 0);
        return out;
    }

    /**
     * Decrypts and authenticates {@code ciphertext}; without a key returns a copy of the input.
     *
     * @throws ProtocolViolationException if the tag does not verify (the nonce is then not advanced)
     */
    public byte[] decryptWithAd(byte[] ad, byte[] ciphertext) {
        if (!hasKey()) {
            return ciphertext.clone();
        }
        if (ciphertext.length < TAG_LENGTH) {
            throw new ProtocolViolationException("noise: ciphertext of " + ciphertext.length
                + " bytes is shorter than the 16-byte authentication tag");
        }
        byte[] out = new byte[ciphertext.length - TAG_LENGTH];
        crypt(Cipher.DECRYPT_MODE, ad, ciphertext, 0, ciphertext.length, out, 0);
        return out;
    }

    /**
     * Transport encryption (empty associated data) from {@code in[inOff, inOff+len)} into {@code out} at
     * {@code outOff}, which needs {@code len + 16} bytes of room. {@code in} and {@code out} may be the same array
     * at the same offset.
     *
     * @return bytes written ({@code len + 16})
     */
    public int encrypt(byte[] in, int inOff, int len, byte[] out, int outOff) {
        requireKey();
        return crypt(Cipher.ENCRYPT_MODE, null, in, inOff, len, out, outOff);
    }

    /**
     * Transport decryption (empty associated data); {@code out} needs {@code len - 16} bytes of room.
     *
     * @return plaintext bytes written
     * @throws ProtocolViolationException if the frame is shorter than a tag or does not authenticate
     */
    public int decrypt(byte[] in, int inOff, int len, byte[] out, int outOff) {
        requireKey();
        if (len < TAG_LENGTH) {
            throw new ProtocolViolationException("noise: transport frame of " + len
                + " bytes is shorter than the 16-byte authentication tag");
        }
        return crypt(Cipher.DECRYPT_MODE, null, in, inOff, len, out, outOff);
    }

    private void requireKey() {
        if (!hasKey()) {
            throw new InternalException("noise: transport cipher state has no key");
        }
    }

    private int crypt(int mode, byte[] ad, byte[] in, int inOff, int len, byte[] out, int outOff) {
        if (nonce == NONCE_EXHAUSTED) {
            throw new ProtocolViolationException("noise: nonce space exhausted (2^64-1 messages); reconnect");
        }
        long n = nonce;
        for (int i = 0; i < 8; i++) {
            nonceBytes[4 + i] = (byte) (n >>> (8 * i));
        }
        try {
            cipher.init(mode, key, new IvParameterSpec(nonceBytes));
            if (ad != null && ad.length > 0) {
                cipher.updateAAD(ad);
            }
            int written = cipher.doFinal(in, inOff, len, out, outOff);
            nonce++;
            return written;
        } catch (AEADBadTagException e) {
            throw new ProtocolViolationException("noise: message " + Long.toUnsignedString(n)
                + " failed authentication (corrupted or forged ciphertext)", e);
        } catch (InvalidKeyException | InvalidAlgorithmParameterException | ShortBufferException e) {
            throw new InternalException("noise: cipher misuse at nonce " + Long.toUnsignedString(n), e);
        } catch (GeneralSecurityException e) {
            throw new InternalException("noise: unexpected cipher failure at nonce " + Long.toUnsignedString(n), e);
        }
    }
}
