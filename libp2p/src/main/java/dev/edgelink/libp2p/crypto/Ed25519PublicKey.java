package dev.edgelink.libp2p.crypto;

import dev.edgelink.libp2p.ProtocolViolationException;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

/** An Ed25519 public key: 32 bytes as RFC 8032 encodes them, with RFC 8032 signatures of 64 bytes. */
final class Ed25519PublicKey extends AbstractPubKey {

    static final int KEY_BYTES = Ed25519PublicKeyParameters.KEY_SIZE;
    static final int SIGNATURE_BYTES = 64;

    private final Ed25519PublicKeyParameters key;

    Ed25519PublicKey(Ed25519PublicKeyParameters key) {
        super(KeyType.ED25519, "Ed25519", key.getEncoded());
        this.key = key;
    }

    /**
     * Decodes the 32-byte key of a remote.
     *
     * @throws ProtocolViolationException if it is not 32 bytes or not a point on the curve
     */
    static Ed25519PublicKey fromRaw(byte[] raw) {
        if (raw.length != KEY_BYTES) {
            throw new ProtocolViolationException(
                    "Ed25519 public key must be " + KEY_BYTES + " bytes, got " + raw.length);
        }
        try {
            return new Ed25519PublicKey(new Ed25519PublicKeyParameters(raw, 0));
        } catch (IllegalArgumentException e) {
            throw new ProtocolViolationException("Ed25519 public key is not a valid curve point", e);
        }
    }

    @Override
    public boolean verify(byte[] data, byte[] signature) {
        if (signature.length != SIGNATURE_BYTES) {
            return false;
        }
        Ed25519Signer verifier = new Ed25519Signer();
        verifier.init(false, key);
        verifier.update(data, 0, data.length);
        return verifier.verifySignature(signature);
    }
}
