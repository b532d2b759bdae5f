package dev.edgelink.libp2p.crypto;

/** A private key of one of the libp2p key types. Immutable; never logged (its toString reveals only the type). */
public interface PrivKey {

    KeyType type();

    PubKey publicKey();

    /** Signs {@code data} by the signing rules of the key's type. */
    byte[] sign(byte[] data);

    /** The {@code PrivateKey} protobuf: the format of libp2p key files. */
    byte[] marshal();
}
