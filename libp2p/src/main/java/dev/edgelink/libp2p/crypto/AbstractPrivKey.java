package dev.edgelink.libp2p.crypto;

import java.security.MessageDigest;

/**
 * What the private keys of every type share: they carry their public key, compare equal when their marshalled
 * forms are (compared in constant time), hash as their public key and never show secret bytes in
 * {@link #toString()}. Subclasses supply signing and marshalling.
 */
abstract class AbstractPrivKey implements PrivKey {

    private final KeyType type;
    private final String name;
    private final PubKey publicKey;

    /** @param name the type's name in {@link #toString()}, e.g. {@code "Ecdsa"} */
    AbstractPrivKey(KeyType type, String name, PubKey publicKey) {
        this.type = type;
        this.name = name;
        this.publicKey = publicKey;
    }

    @Override
    public final KeyType type() {
        return type;
    }

    @Override
    public final PubKey publicKey() {
        return publicKey;
    }

    @Override
    public final boolean equals(Object o) {
        return o instanceof AbstractPrivKey other && type == other.type
                && MessageDigest.isEqual(marshal(), other.marshal());
    }

    @Override
    public final int hashCode() {
        return publicKey.hashCode();
    }

    @Override
    public final String toString() {
        return name + "PrivateKey[public=" + publicKey + "]";
    }
}
