package dev.edgelink.libp2p.crypto;

import dev.edgelink.libp2p.ProtocolViolationException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

/**
 * An Ed25519 private key. Its marshalled {@code Data} is the libp2p layout, also what js-libp2p and go-libp2p
 * write:
 *
 * <pre>
 *  +---------------------------+---------------------------+
 *  | seed (32 bytes)           | public key (32 bytes)     |   64 bytes
 *  +---------------------------+---------------------------+
 * </pre>
 *
 * Old libp2p versions appended the public key a second time (96 bytes); we read that form when both copies agree
 * and write only the 64-byte form.
 */
final class Ed25519PrivateKey extends AbstractPrivKey {

    static final int SEED_BYTES = Ed25519PrivateKeyParameters.KEY_SIZE;
    static final int DATA_BYTES = SEED_BYTES + Ed25519PublicKey.KEY_BYTES;
    static final int LEGACY_DATA_BYTES = DATA_BYTES + Ed25519PublicKey.KEY_BYTES;

    private final Ed25519PrivateKeyParameters key;

    private Ed25519PrivateKey(Ed25519PrivateKeyParameters key) {
        super(KeyType.ED25519, "Ed25519", new Ed25519PublicKey(key.generatePublicKey()));
        this.key = key;
    }

    static Ed25519PrivateKey generate(SecureRandom random) {
        return new Ed25519PrivateKey(new Ed25519PrivateKeyParameters(random));
    }

    static Ed25519PrivateKey fromSeed(byte[] seed) {
        if (seed.length != SEED_BYTES) {
            throw new ProtocolViolationException("Ed25519 seed must be " + SEED_BYTES + " bytes, got " + seed.length);
        }
        return new Ed25519PrivateKey(new Ed25519PrivateKeyParameters(seed, 0));
    }

    /**
     * Decodes the {@code Data} of an Ed25519 {@code PrivateKey}.
     *
     * @throws ProtocolViolationException if the length is neither 64 nor 96 bytes, or the stored public key is not
     *     the one the seed yields (a damaged or spliced key)
     */
    static Ed25519PrivateKey fromData(byte[] data) {
        if (data.length != DATA_BYTES && data.length != LEGACY_DATA_BYTES) {
            throw new ProtocolViolationException("Ed25519 private key data must be " + DATA_BYTES
                    + " bytes (seed + public key), got " + data.length);
        }
        Ed25519PrivateKey key = fromSeed(Arrays.copyOf(data, SEED_BYTES));
        byte[] derived = key.publicKey().raw();
        for (int off = SEED_BYTES; off < data.length; off += Ed25519PublicKey.KEY_BYTES) {
            byte[] stored = Arrays.copyOfRange(data, off, off + Ed25519PublicKey.KEY_BYTES);
            if (!MessageDigest.isEqual(derived, stored)) {
                throw new ProtocolViolationException(
                        "Ed25519 private key data is inconsistent: the stored public key is not the seed's");
            }
        }
        return key;
    }

    @Override
    public byte[] sign(byte[] data) {
        Ed25519Signer signer = new Ed25519Signer();
        signer.init(true, key);
        signer.update(data, 0, data.length);
        return signer.generateSignature();
    }

    @Override
    public byte[] marshal() {
        byte[] data = new byte[DATA_BYTES];
        key.encode(data, 0);
        System.arraycopy(publicKey().raw(), 0, data, SEED_BYTES, Ed25519PublicKey.KEY_BYTES);
        byte[] out = KeyProto.marshalPrivate(KeyType.ED25519, data);
        Arrays.fill(data, (byte) 0);
        return out;
    }
}
