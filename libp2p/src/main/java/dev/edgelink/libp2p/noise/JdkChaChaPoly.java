package dev.edgelink.libp2p.noise;

import dev.edgelink.libp2p.InternalException;
import io.netty.buffer.ByteBuf;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * ChaCha20-Poly1305 from the JDK ({@code Cipher "ChaCha20-Poly1305"}), always available. Heap arrays are its fast
 * path: given a direct buffer the JDK copies it into an array internally anyway, so buffers without an array are
 * copied once into a scratch array kept for the next message. On JDK 17 it runs at roughly 240 MB/s per core (no
 * intrinsics); JDK 21+ has intrinsics for both halves.
 */
final class JdkChaChaPoly implements ChaChaPoly {

    private final SecretKeySpec key;
    private final Cipher cipher;
    /** For inputs or outputs without a backing array; grown on demand, null until needed. */
    private byte[] scratch;
    private boolean closed;

    JdkChaChaPoly(byte[] key) {
        if (key.length != KEY_LENGTH) {
            throw new InternalException("noise: cipher key must be 32 bytes, got " + key.length);
        }
        this.key = new SecretKeySpec(key, "ChaCha20");
        try {
            cipher = Cipher.getInstance("ChaCha20-Poly1305");
        } catch (GeneralSecurityException e) {
            throw new InternalException("noise: the JDK has no ChaCha20-Poly1305", e);
        }
    }

    @Override
    public int encrypt(byte[] nonce, byte[] ad, ByteBuf in, int inIndex, int len, ByteBuf out, int outIndex) {
        init(Cipher.ENCRYPT_MODE, nonce, ad);
        return run(in, inIndex, len, out, outIndex, len + TAG_LENGTH);
    }

    @Override
    public int decrypt(byte[] nonce, byte[] ad, ByteBuf in, int inIndex, int len, ByteBuf out, int outIndex) {
        if (len < TAG_LENGTH) {
            throw ChaChaPoly.authenticationFailed(null);
        }
        init(Cipher.DECRYPT_MODE, nonce, ad);
        return run(in, inIndex, len, out, outIndex, len - TAG_LENGTH);
    }

    private void init(int mode, byte[] nonce, byte[] ad) {
        if (closed) {
            throw new InternalException("noise: JDK ChaCha20-Poly1305 used after close");
        }
        try {
            try {
                cipher.init(mode, key, new IvParameterSpec(nonce));
            } catch (InvalidKeyException e) {
                if (mode != Cipher.DECRYPT_MODE) {
                    throw e;
                }
                // The JDK refuses any init with the previous init's key and nonce. That guards encryption; opening
                // a message again under the same nonce (a retry, a self-test) is harmless, so step past the check.
                byte[] other = nonce.clone();
                other[0] ^= 1;
                cipher.init(mode, key, new IvParameterSpec(other));
                cipher.init(mode, key, new IvParameterSpec(nonce));
            }
        } catch (GeneralSecurityException e) {
            throw new InternalException("noise: JDK ChaCha20-Poly1305 rejected key or nonce (nonce reused?)", e);
        }
        if (ad != null && ad.length > 0) {
            cipher.updateAAD(ad);
        }
    }

    /** doFinal on arrays: the buffers' own where they have one, else the scratch array. */
    private int run(ByteBuf in, int inIndex, int len, ByteBuf out, int outIndex, int outLen) {
        byte[] src;
        int srcOff;
        if (in.hasArray()) {
            src = in.array();
            srcOff = in.arrayOffset() + inIndex;
        } else if (out.hasArray() && outLen >= len) {
            // Encryption: copy the plaintext to where its ciphertext goes and work in place.
            src = out.array();
            srcOff = out.arrayOffset() + outIndex;
            in.getBytes(inIndex, src, srcOff, len);
        } else {
            src = scratch(Math.max(len, outLen));
            srcOff = 0;
            in.getBytes(inIndex, src, 0, len);
        }
        try {
            if (out.hasArray()) {
                return cipher.doFinal(src, srcOff, len, out.array(), out.arrayOffset() + outIndex);
            }
            byte[] tmp = src == scratch ? scratch : scratch(outLen);
            int n = cipher.doFinal(src, srcOff, len, tmp, 0);
            out.setBytes(outIndex, tmp, 0, n);
            return n;
        } catch (AEADBadTagException e) {
            throw ChaChaPoly.authenticationFailed(e);
        } catch (GeneralSecurityException e) {
            throw new InternalException("noise: JDK ChaCha20-Poly1305 failed", e);
        }
    }

    private byte[] scratch(int size) {
        if (scratch == null || scratch.length < size) {
            scratch = new byte[Math.max(size, NoiseTransportCodec.MAX_FRAME_LENGTH)];
        }
        return scratch;
    }

    @Override
    public boolean prefersDirectBuffers() {
        return false;
    }

    @Override
    public String name() {
        return "jdk";
    }

    @Override
    public void close() {
        closed = true;
        scratch = null;
    }
}
