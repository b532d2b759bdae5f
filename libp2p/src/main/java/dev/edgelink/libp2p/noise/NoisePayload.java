package dev.edgelink.libp2p.noise;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.edgelink.libp2p.ProtocolViolationException;
import dev.edgelink.libp2p.crypto.Keys;
import dev.edgelink.libp2p.crypto.PrivKey;
import dev.edgelink.libp2p.crypto.PubKey;
import dev.edgelink.libp2p.noise.pb.NoiseProto;
import dev.edgelink.libp2p.peer.PeerId;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The libp2p handshake payload carried (encrypted) in XX messages 2 and 3: a pure codec, no I/O.
 *
 * <pre>
 *  NoiseHandshakePayload (protobuf, proto2)
 *    1: identity_key   bytes   PublicKey protobuf (peer-id spec) of the sender's identity key
 *    2: identity_sig   bytes   identity_key's signature over "noise-libp2p-static-key:" || static X25519 public key
 *    4: extensions     NoiseExtensions
 *         1: webtransport_certhashes  repeated bytes   (WebTransport only; never sent on TCP)
 *         2: stream_muxers            repeated string  muxers the sender offers, initiator's in preference order
 * </pre>
 *
 * <p>The signature binds the Noise static key, which is per process or per connection, to the long-lived identity;
 * nothing else in the handshake proves who the remote is. Extensions are sent only when there is something in them,
 * as go-libp2p does; js-libp2p always sends them and accepts either.
 */
public final class NoisePayload {

    static final byte[] SIGNATURE_PREFIX = "noise-libp2p-static-key:".getBytes(StandardCharsets.US_ASCII);

    private NoisePayload() {
    }

    /** What a verified payload says about the remote. */
    public record Verified(PubKey remoteKey, PeerId remotePeer, List<String> streamMuxers) {
    }

    /** Our payload: identity key, signature over our static key, and the muxers we offer (may be empty). */
    public static byte[] encode(PrivKey identity, byte[] staticPublicKey, List<String> streamMuxers) {
        NoiseProto.NoiseHandshakePayload.Builder payload = NoiseProto.NoiseHandshakePayload.newBuilder()
            .setIdentityKey(ByteString.copyFrom(identity.publicKey().marshal()))
            .setIdentitySig(ByteString.copyFrom(identity.sign(signedData(staticPublicKey))));
        if (!streamMuxers.isEmpty()) {
            payload.setExtensions(NoiseProto.NoiseExtensions.newBuilder().addAllStreamMuxers(streamMuxers));
        }
        return payload.build().toByteArray();
    }

    /**
     * Decodes the remote's payload and checks it: the identity key decodes, its signature over the remote's static
     * key verifies, and, if {@code expectedPeer} is not null, the key is that peer's.
     *
     * @throws ProtocolViolationException naming what was wrong
     */
    public static Verified verify(byte[] payload, byte[] remoteStaticKey, PeerId expectedPeer) {
        NoiseProto.NoiseHandshakePayload decoded;
        try {
            decoded = NoiseProto.NoiseHandshakePayload.parseFrom(payload);
        } catch (InvalidProtocolBufferException e) {
            throw new ProtocolViolationException("noise: handshake payload is not a NoiseHandshakePayload protobuf: "
                + e.getMessage(), e);
        }
        if (!decoded.hasIdentityKey() || decoded.getIdentityKey().isEmpty()) {
            throw new ProtocolViolationException("noise: handshake payload carries no identity key");
        }
        PubKey key;
        try {
            key = Keys.unmarshalPublicKey(decoded.getIdentityKey().toByteArray());
        } catch (ProtocolViolationException e) {
            throw new ProtocolViolationException("noise: handshake identity key does not decode: " + e.getMessage(), e);
        }
        PeerId peer = PeerId.fromPublicKey(key);
        if (!decoded.hasIdentitySig()) {
            throw new ProtocolViolationException("noise: handshake payload of peer " + peer
                + " carries no identity signature");
        }
        if (!key.verify(signedData(remoteStaticKey), decoded.getIdentitySig().toByteArray())) {
            throw new ProtocolViolationException("noise: identity signature does not verify for peer " + peer);
        }
        if (expectedPeer != null && !expectedPeer.equals(peer)) {
            throw new ProtocolViolationException("noise: dialed peer " + expectedPeer
                + " but the remote authenticated as " + peer);
        }
        List<String> muxers = decoded.hasExtensions() ? List.copyOf(decoded.getExtensions().getStreamMuxersList())
            : List.of();
        return new Verified(key, peer, muxers);
    }

    static byte[] signedData(byte[] staticPublicKey) {
        return SymmetricState.concat(SIGNATURE_PREFIX, staticPublicKey);
    }
}
