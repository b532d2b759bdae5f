package dev.edgelink.libp2p.crypto;

import dev.edgelink.libp2p.crypto.pb.CryptoProto;

/** The key types of the libp2p peer-id spec, with their numbers in the {@code KeyType} protobuf enum. */
public enum KeyType {
    RSA(CryptoProto.KeyType.RSA),
    ED25519(CryptoProto.KeyType.Ed25519),
    SECP256K1(CryptoProto.KeyType.Secp256k1),
    ECDSA(CryptoProto.KeyType.ECDSA);

    private final CryptoProto.KeyType proto;

    KeyType(CryptoProto.KeyType proto) {
        this.proto = proto;
    }

    /** The number of this type in the protobuf enum (RSA 0, Ed25519 1, Secp256k1 2, ECDSA 3). */
    public int code() {
        return proto.getNumber();
    }

    CryptoProto.KeyType proto() {
        return proto;
    }

    static KeyType of(CryptoProto.KeyType proto) {
        for (KeyType type : values()) {
            if (type.proto == proto) {
                return type;
            }
        }
        throw new IllegalArgumentException("no key type for " + proto);
    }
}
