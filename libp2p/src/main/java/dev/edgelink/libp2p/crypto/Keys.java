package dev.edgelink.libp2p.crypto;

import dev.edgelink.libp2p.ProtocolViolationException;
import java.nio.file.Path;
import java.security.SecureRandom;

/**
 * Entry point of the crypto package: key generation, the protobuf envelopes of the peer-id spec, and the node's
 * key file.
 *
 * <p>Bytes that arrive from a remote are decoded with {@link #unmarshalPublicKey(byte[])}; a problem with them is a
 * {@link ProtocolViolationException} that says what is wrong. A problem with our own key file is a
 * {@link dev.edgelink.libp2p.ConfigurationException} that names the file (see {@link KeyFile}).
 */
public final class Keys {

    private static final SecureRandom RANDOM = new SecureRandom();

    private Keys() {
    }

    /** A new Ed25519 key from the platform's strong random source. */
    public static PrivKey generateEd25519() {
        return Ed25519PrivateKey.generate(RANDOM);
    }

    /** A new Ed25519 key from {@code random} (tests pass a seeded source). */
    public static PrivKey generateEd25519(SecureRandom random) {
        return Ed25519PrivateKey.generate(random);
    }

    /**
     * Decodes a {@code PublicKey} protobuf, as sent by a remote (Noise handshake payload, identify, signed records).
     *
     * @throws ProtocolViolationException if the bytes are not a well-formed envelope, the key type is unknown or
     *     unsupported, or the key itself is invalid for its type
     */
    public static PubKey unmarshalPublicKey(byte[] bytes) {
        KeyProto.Envelope envelope = KeyProto.unmarshalPublic(bytes);
        return switch (envelope.type()) {
            case ED25519 -> Ed25519PublicKey.fromRaw(envelope.data());
            case SECP256K1 -> Secp256k1Keys.publicFromRaw(envelope.data());
            case ECDSA -> EcdsaKeys.publicFromRaw(envelope.data());
            case RSA -> RsaKeys.publicFromRaw(envelope.data());
        };
    }

    /**
     * Decodes a {@code PrivateKey} protobuf, the content of a libp2p key file.
     *
     * @throws ProtocolViolationException if the bytes are not a well-formed envelope, the key type is unsupported,
     *     or the key data is invalid (wrong length, public half not matching the private half)
     */
    public static PrivKey unmarshalPrivateKey(byte[] bytes) {
        KeyProto.Envelope envelope = KeyProto.unmarshalPrivate(bytes);
        return switch (envelope.type()) {
            case ED25519 -> Ed25519PrivateKey.fromData(envelope.data());
            case SECP256K1 -> Secp256k1Keys.privateFromData(envelope.data());
            case ECDSA -> EcdsaKeys.privateFromData(envelope.data());
            case RSA -> RsaKeys.privateFromData(envelope.data());
        };
    }

    /**
     * Loads the node key from {@code path}, or creates a new Ed25519 key there if no file exists. See
     * {@link KeyFile} for the file format and the guarantees on creation.
     *
     * @throws dev.edgelink.libp2p.ConfigurationException if the file exists but cannot be read or is not a valid
     *     key; it is never silently replaced, since that would change the node's identity
     */
    public static PrivKey loadOrCreate(Path path) {
        return KeyFile.loadOrCreate(path);
    }

    /**
     * Writes {@code key} to {@code path} atomically with mode 0600, replacing any existing file.
     *
     * @throws dev.edgelink.libp2p.ConfigurationException if the file or its directory cannot be written
     */
    public static void store(PrivKey key, Path path) {
        KeyFile.store(key, path);
    }
}
