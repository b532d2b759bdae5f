package dev.edgelink.libp2p.noise;

import dev.edgelink.libp2p.crypto.PubKey;
import dev.edgelink.libp2p.peer.PeerId;
import java.util.List;

/**
 * User event fired by {@link NoiseHandshakeHandler} once the channel is secured, before any decrypted byte is passed
 * up. From then on the pipeline carries plaintext through {@link NoiseTransportCodec}.
 *
 * @param remotePeer        the authenticated remote peer
 * @param remoteKey         its identity key
 * @param remoteMuxers      the stream muxers it offered in the handshake (may be empty)
 * @param chosenMuxerOrNull the muxer agreed in the handshake (first of the initiator's list that the responder
 *                          offered too), or null: then negotiate the muxer with multistream-select
 */
public record NoiseSecured(PeerId remotePeer, PubKey remoteKey, List<String> remoteMuxers, String chosenMuxerOrNull) {
}
