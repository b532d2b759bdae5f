package dev.edgelink.libp2p.crypto;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * What the public keys of every type share: a key is its type and its {@link #raw()} bytes, which are also what
 * it is marshalled, compared and hashed by. Subclasses supply verification and hold the parsed key.
 */
abstract class AbstractPubKey implements PubKey {

    private final KeyType type;
    private final String name;
    private final byte[] raw;

    /**
     * @param name the type's name in {@link #toString()}, e.g. {@code "Ecdsa"}
     * @param raw the key in its type's own encoding; kept, not copied
     */
    AbstractPubKey(KeyType type, String name, byte[] raw) {
        this.type = type;
        this.name = name;
        this.raw = raw;
    }

    @Override
    public final KeyType type() {
        return type;
    }

    @Override
    public final byte[] raw() {
        return raw.clone();
    }

    @Override
    public final byte[] marshal() {
        return KeyProto.marshalPublic(type, raw);
    }

    @Override
    public final boolean equals(Object o) {
        return o instanceof AbstractPubKey other && type == other.type && Arrays.equals(raw, other.raw);
    }

    @Override
    public final int hashCode() {
        return Arrays.hashCode(raw);
    }

    /** The type and the raw bytes in hex; a type whose raw form is long (RSA) says something shorter. */
    @Override
    public String toString() {
        return name + "PublicKey[" + HexFormat.of().formatHex(raw) + "]";
    }
}
