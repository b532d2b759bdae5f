package dev.edgelink.libp2p.noise;

import dev.edgelink.libp2p.ProtocolViolationException;
import io.netty.buffer.ByteBuf;

/**
 * ChaCha20-Poly1305 (RFC 8439) with one fixed 256-bit key: the AEAD behind a Noise {@link CipherState}. One
 * implementation per mechanism ({@link JdkChaChaPoly}, {@link OpenSslChaChaPoly}); {@link ChaChaPolySelector} picks
 * one for transport cipher states.
 *
 * <pre>
 *  encrypt: in[len]                      -&gt;  out[len + 16] = ChaCha20 ciphertext (len) || Poly1305 tag (16)
 *  decrypt: in[len] = ciphertext || tag  -&gt;  out[len - 16] plaintext, or ProtocolViolationException
 * </pre>
 *
 * <p>Buffers are addressed by absolute index; reader and writer indices are neither read nor moved. Input and output
 * may be the very same region (in-place, same buffer and index) or disjoint; partial overlap is not allowed. Any
 * buffer kind works (heap, direct, composite); {@link #prefersDirectBuffers()} says which kind avoids copies.
 *
 * <p>Not thread-safe: one instance per direction of a connection. {@link #close()} frees what the instance holds
 * (native memory for OpenSSL); it is idempotent, and using a closed instance is a bug.
 */
interface ChaChaPoly extends AutoCloseable {

    int KEY_LENGTH = 32;
    int NONCE_LENGTH = 12;
    int TAG_LENGTH = 16;

    /**
     * Encrypts {@code in[inIndex, inIndex+len)} with associated data {@code ad} (null or empty for none) into
     * {@code out[outIndex, outIndex+len+16)}.
     *
     * @param nonce 12 bytes; must never repeat under this key
     * @return bytes written, {@code len + 16}
     */
    int encrypt(byte[] nonce, byte[] ad, ByteBuf in, int inIndex, int len, ByteBuf out, int outIndex);

    /**
     * Decrypts and authenticates {@code in[inIndex, inIndex+len)} (ciphertext then tag) into
     * {@code out[outIndex, outIndex+len-16)}.
     *
     * @return plaintext bytes written, {@code len - 16}
     * @throws ProtocolViolationException if the input is shorter than a tag or does not authenticate; the output
     *                                    region then holds no plaintext (it is zeroed or untouched)
     */
    int decrypt(byte[] nonce, byte[] ad, ByteBuf in, int inIndex, int len, ByteBuf out, int outIndex);

    /** True if direct (off-heap) buffers are this implementation's fast path, false for heap arrays. */
    boolean prefersDirectBuffers();

    /** Short name for logs and benchmarks ({@code jdk}, {@code openssl}). */
    String name();

    @Override
    void close();

    /** The failure every implementation reports for a ciphertext that does not authenticate. */
    static ProtocolViolationException authenticationFailed(Throwable cause) {
        return new ProtocolViolationException("ChaCha20-Poly1305 authentication failed", cause);
    }
}
