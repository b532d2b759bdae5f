package dev.edgelink.libp2p.crypto;

import org.bouncycastle.crypto.params.ECPrivateKeyParameters;

/**
 * An ECDSA or Secp256k1 private key: a scalar with ECDSA signatures ({@link EcdsaSignatures}). Subclasses supply
 * the type's marshalled form.
 */
abstract class EcPrivKey extends AbstractPrivKey {
    private final ECPrivateKeyParameters key;

    EcPrivKey(KeyType type, String name, ECPrivateKeyParameters key, EcPubKey publicKey) {
        super(type, name, publicKey);
        this.key = key;
    }

    final ECPrivateKeyParameters key() {
        return key;
    }

    @Override
    public final byte[] sign(byte[] data) {
        return EcdsaSignatures.sign(key, data);
    }
}
