package dev.edgelink.libp2p.noise;

import dev.edgelink.libp2p.InternalException;
import dev.edgelink.libp2p.ProtocolViolationException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

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
 * <p>The AEAD is a {@link ChaChaPoly}. Handshake cipher states ({@link #CipherState(byte[])}) use the JDK's: their
 * messages are a few hundred bytes, and a handshake that fails half-way drops them without any close hook. Transport
 * cipher states ({@link #forTransport(byte[])}) carry the bulk data and use what {@link ChaChaPolySelector} picks,
 * OpenSSL's libcrypto where usable; they hold native memory then, so their owner closes them ({@link #close()}).
 * {@link #prefersDirectBuffers()} tells a codec which buffer kind avoids copies.
 *
 * <p>Not thread-safe; one instance per direction. {@code n} never wraps: the value 2^64-1 is reserved by the Noise
 * spec, so the connection has to end before reaching it.
 */
public final class CipherState implements AutoCloseable {

    /** Poly1305 tag length. */
    public static final int TAG_LENGTH = ChaChaPoly.TAG_LENGTH;

    /** Unsigned 2^64-1: reserved, never used as a nonce. */
    private static final long NONCE_EXHAUSTED = -1L;

    private final ChaChaPoly aead;
    private final byte[] nonceBytes = new byte[ChaChaPoly.NONCE_LENGTH];
    private long nonce;
    private boolean closed;

    /** A handshake cipher state with key {@code k} (JDK AEAD); {@code null} means "no key yet" (identity). */
    public CipherState(byte[] k) {
        this(k == null ? null : new JdkChaChaPoly(k));
    }

    private CipherState(ChaChaPoly aead) {
        this.aead = aead;
    }

    /** A cipher state over a given AEAD, which it then owns (tests and benchmarks pick implementations so). */
    static CipherState using(ChaChaPoly aead) {
        return new CipherState(aead);
    }

    /** A transport cipher state with key {@code k}, on the AEAD {@link ChaChaPolySelector} chooses. */
    public static CipherState forTransport(byte[] k) {
        if (k == null || k.length != ChaChaPoly.KEY_LENGTH) {
            throw new InternalException("noise: transport cipher key must be 32 bytes");
        }
        return new CipherState(ChaChaPolySelector.forTransport(k));
    }

    public boolean hasKey() {
        return aead != null;
    }

    /** The next nonce to be used (unsigned). */
    public long nonce() {
        return nonce;
    }

    /** True if direct buffers are the AEAD's fast path (OpenSSL), false for heap arrays (JDK). */
    public boolean prefersDirectBuffers() {
        return aead != null && aead.prefersDirectBuffers();
    }

    /** The AEAD implementation's name ({@code jdk}, {@code openssl}), or {@code none} without a key. */
    public String implementation() {
        return aead == null ? "none" : aead.name();
    }

    /** Encrypts {@code plaintext} with associated data {@code ad}; without a key returns a copy of the input. */
    public byte[] encryptWithAd(byte[] ad, byte[] plaintext) {
        if (!hasKey()) {
            return plaintext.clone();
        }
        byte[] out = new byte[plaintext.length + TAG_LENGTH];
        crypt(true, ad, Unpooled.wrappedBuffer(plaintext), 0, plaintext.length, Unpooled.wrappedBuffer(out), 0);
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
        crypt(false, ad, Unpooled.wrappedBuffer(ciphertext), 0, ciphertext.length, Unpooled.wrappedBuffer(out), 0);
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
        return encrypt(Unpooled.wrappedBuffer(in), inOff, len, Unpooled.wrappedBuffer(out), outOff);
    }

    /**
     * Transport decryption (empty associated data); {@code out} needs {@code len - 16} bytes of room.
     *
     * @return plaintext bytes written
     * @throws ProtocolViolationException if the frame is shorter than a tag or does not authenticate
     */
    public int decrypt(byte[] in, int inOff, int len, byte[] out, int outOff) {
        return decrypt(Unpooled.wrappedBuffer(in), inOff, len, Unpooled.wrappedBuffer(out), outOff);
    }

    /**
     * Transport encryption of {@code in[inIndex, inIndex+len)} into {@code out[outIndex, outIndex+len+16)}, by
     * absolute index (no reader or writer index moves). In place (same buffer, same index) is allowed.
     *
     * @return bytes written ({@code len + 16})
     */
    public int encrypt(ByteBuf in, int inIndex, int len, ByteBuf out, int outIndex) {
        requireKey();
        return crypt(true, null, in, inIndex, len, out, outIndex);
    }

    /**
     * Transport decryption of {@code in[inIndex, inIndex+len)} into {@code out[outIndex, outIndex+len-16)}, by
     * absolute index.
     *
     * @return plaintext bytes written
     * @throws ProtocolViolationException if the frame is shorter than a tag or does not authenticate
     */
    public int decrypt(ByteBuf in, int inIndex, int len, ByteBuf out, int outIndex) {
        requireKey();
        if (len < TAG_LENGTH) {
            throw new ProtocolViolationException("noise: transport frame of " + len
                + " bytes is shorter than the 16-byte authentication tag");
        }
        return crypt(false, null, in, inIndex, len, out, outIndex);
    }

    /** Releases the AEAD (native memory for OpenSSL). Idempotent; the state cannot be used afterwards. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            if (aead != null) {
                aead.close();
            }
        }
    }

    private void requireKey() {
        if (!hasKey()) {
            throw new InternalException("noise: transport cipher state has no key");
        }
    }

    private int crypt(boolean encrypt, byte[] ad, ByteBuf in, int inIndex, int len, ByteBuf out, int outIndex) {
        if (closed) {
            throw new InternalException("noise: cipher state used after close");
        }
        if (nonce == NONCE_EXHAUSTED) {
            throw new ProtocolViolationException("noise: nonce space exhausted (2^64-1 messages); reconnect");
        }
        long n = nonce;
        for (int i = 0; i < 8; i++) {
            nonceBytes[4 + i] = (byte) (n >>> (8 * i));
        }
        int written;
        if (encrypt) {
            written = aead.encrypt(nonceBytes, ad, in, inIndex, len, out, outIndex);
        } else {
            try {
                written = aead.decrypt(nonceBytes, ad, in, inIndex, len, out, outIndex);
            } catch (ProtocolViolationException e) {
                throw new ProtocolViolationException("noise: message " + Long.toUnsignedString(n)
                    + " failed authentication (corrupted or forged ciphertext)", e);
            }
        }
        nonce++;
        return written;
    }
}
