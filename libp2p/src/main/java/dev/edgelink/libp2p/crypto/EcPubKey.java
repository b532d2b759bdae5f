package dev.edgelink.libp2p.crypto;

import org.bouncycastle.crypto.params.ECPublicKeyParameters;

/**
 * An ECDSA or Secp256k1 public key: a point with ECDSA signatures ({@link EcdsaSignatures}). The two types differ
 * only in their curves and in the raw encoding the caller passes in.
 */
final class EcPubKey extends AbstractPubKey {
    private final ECPublicKeyParameters key;

    EcPubKey(KeyType type, String name, ECPublicKeyParameters key, byte[] raw) {
        super(type, name, raw);
        this.key = key;
    }

    ECPublicKeyParameters key() {
        return key;
    }

    @Override
    public boolean verify(byte[] data, byte[] signature) {
        return EcdsaSignatures.verify(key, data, signature);
    }
}
