package dev.edgelink.libp2p.crypto;

/**
 * A public key of one of the libp2p key types. Implementations are immutable and compare equal when type and
 * {@link #raw()} bytes are equal.
 */
public interface PubKey {

    KeyType type();

    /** The key in its type's own encoding, the {@code Data} field of the protobuf (e.g. 32 bytes for Ed25519). */
    byte[] raw();

    /**
     * Whether {@code signature} is a valid signature of {@code data} under this key, by the signing rules of the
     * key's type. A malformed signature is simply invalid: this never throws for bad signature bytes.
     */
    boolean verify(byte[] data, byte[] signature);

    /** The {@code PublicKey} protobuf, encoded deterministically (Type then Data); the input of a peer id. */
    byte[] marshal();
}
