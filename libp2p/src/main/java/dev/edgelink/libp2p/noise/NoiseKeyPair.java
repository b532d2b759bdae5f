package dev.edgelink.libp2p.noise;

import dev.edgelink.libp2p.ConfigurationException;
import java.security.SecureRandom;
import org.bouncycastle.math.ec.rfc7748.X25519;

/**
 * An X25519 key pair as Noise uses it for {@code s} and {@code e}: raw 32-byte scalar and 32-byte u-coordinate
 * (RFC 7748 section 5). The libp2p identity key is a different key: it only signs the static public key here.
 */
public final class NoiseKeyPair {

    public static final int KEY_LENGTH = 32;

    private final byte[] privateKey;
    private final byte[] publicKey;

    private NoiseKeyPair(byte[] privateKey) {
        this.privateKey = privateKey.clone();
        this.publicKey = new byte[KEY_LENGTH];
        X25519.generatePublicKey(this.privateKey, 0, this.publicKey, 0);
    }

    /** A key pair from a known private scalar (test vectors, or a static key kept for the process lifetime). */
    public static NoiseKeyPair fromPrivateKey(byte[] privateKey) {
        if (privateKey == null || privateKey.length != KEY_LENGTH) {
            throw new ConfigurationException("noise: an X25519 private key is 32 bytes");
        }
        return new NoiseKeyPair(privateKey);
    }

    /** A fresh key pair from {@code random}. */
    public static NoiseKeyPair generate(SecureRandom random) {
        byte[] k = new byte[KEY_LENGTH];
        X25519.generatePrivateKey(random, k);
        return new NoiseKeyPair(k);
    }

    public byte[] publicKey() {
        return publicKey.clone();
    }

    byte[] privateKeyUnsafe() {
        return privateKey;
    }

    byte[] publicKeyUnsafe() {
        return publicKey;
    }

    /**
     * DH(this, remote).
     *
     * @return the shared secret, or {@code null} if it is all zeros (the remote sent a low-order point)
     */
    byte[] dh(byte[] remotePublicKey) {
        byte[] shared = new byte[KEY_LENGTH];
        boolean contributory = X25519.calculateAgreement(privateKey, 0, remotePublicKey, 0, shared, 0);
        return contributory ? shared : null;
    }
}
