package dev.edgelink.libp2p.crypto;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnknownFieldSet;
import dev.edgelink.libp2p.LimitExceededException;
import dev.edgelink.libp2p.ProtocolViolationException;
import dev.edgelink.libp2p.crypto.pb.CryptoProto;

/**
 * The key envelopes of the peer-id spec, strictly decoded.
 *
 * <pre>
 *  PublicKey / PrivateKey (protobuf, proto2)
 *  +------+---------------+------+----------------+----------------------+
 *  | 0x08 | Type (varint) | 0x12 | length (varint)| Data (length bytes)  |
 *  +------+---------------+------+----------------+----------------------+
 *   field 1, enum KeyType   field 2, bytes: the key in its type's encoding
 * </pre>
 *
 * <p>Encoding is deterministic (field order, no extra fields) because a peer id is the hash of these bytes.
 * Decoding refuses unknown fields and unknown key types: a peer that sends them gets a protocol violation rather
 * than an identity that other implementations would compute differently.
 */
final class KeyProto {

    /** Largest marshalled key we parse: an RSA-8192 PKIX key is about 1.1 KB, so this leaves ample room. */
    static final int MAX_MARSHALLED_KEY_BYTES = 4096;

    private KeyProto() {
    }

    /** A decoded envelope. {@code data} is the key in its type's own encoding. */
    record Envelope(KeyType type, byte[] data) {
    }

    static byte[] marshalPublic(KeyType type, byte[] data) {
        return CryptoProto.PublicKey.newBuilder().setType(type.proto()).setData(ByteString.copyFrom(data)).build()
                .toByteArray();
    }

    static byte[] marshalPrivate(KeyType type, byte[] data) {
        return CryptoProto.PrivateKey.newBuilder().setType(type.proto()).setData(ByteString.copyFrom(data)).build()
                .toByteArray();
    }

    static Envelope unmarshalPublic(byte[] bytes) {
        requireSize(bytes);
        CryptoProto.PublicKey pb;
        try {
            pb = CryptoProto.PublicKey.parser().parsePartialFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new ProtocolViolationException("malformed PublicKey protobuf: " + e.getMessage(), e);
        }
        requireNoUnknownFields("PublicKey", pb.getUnknownFields());
        if (!pb.hasType() || !pb.hasData()) {
            throw new ProtocolViolationException("PublicKey protobuf lacks its required Type or Data field");
        }
        return new Envelope(KeyType.of(pb.getType()), pb.getData().toByteArray());
    }

    static Envelope unmarshalPrivate(byte[] bytes) {
        requireSize(bytes);
        CryptoProto.PrivateKey pb;
        try {
            pb = CryptoProto.PrivateKey.parser().parsePartialFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new ProtocolViolationException("malformed PrivateKey protobuf: " + e.getMessage(), e);
        }
        requireNoUnknownFields("PrivateKey", pb.getUnknownFields());
        if (!pb.hasType() || !pb.hasData()) {
            throw new ProtocolViolationException("PrivateKey protobuf lacks its required Type or Data field");
        }
        return new Envelope(KeyType.of(pb.getType()), pb.getData().toByteArray());
    }

    private static void requireSize(byte[] bytes) {
        if (bytes.length > MAX_MARSHALLED_KEY_BYTES) {
            throw new LimitExceededException("marshalled key bytes", MAX_MARSHALLED_KEY_BYTES, bytes.length);
        }
    }

    private static void requireNoUnknownFields(String message, UnknownFieldSet unknown) {
        if (unknown.asMap().isEmpty()) {
            return;
        }
        // proto2 parks an enum value it does not know among the unknown fields, under the enum's field number.
        UnknownFieldSet.Field type = unknown.getField(1);
        if (type != null && !type.getVarintList().isEmpty()) {
            throw new ProtocolViolationException("unsupported key type " + type.getVarintList().get(0)
                    + " in " + message + " (known: 0 RSA, 1 Ed25519, 2 Secp256k1, 3 ECDSA)");
        }
        throw new ProtocolViolationException(
                message + " protobuf has unknown fields " + unknown.asMap().keySet() + "; keys must not be extended");
    }
}
