package dev.edgelink.libp2p.noise;

import dev.edgelink.libp2p.crypto.PubKey;
import dev.edgelink.libp2p.peer.PeerId;
import java.util.List;

/**
 * What a completed Noise handshake leaves: the two transport cipher states and who the remote proved to be. The
 * cipher states may hold native memory (OpenSSL): whoever takes them closes them, or hands them to a
 * {@link NoiseTransportCodec}, which closes them when it leaves the pipeline.
 *
 * @param sender        encrypts what we send
 * @param receiver      decrypts what we receive
 * @param remoteKey     the remote's identity key, verified against its static key
 * @param remotePeer    the remote's peer id, derived from {@code remoteKey}
 * @param remoteMuxers  the stream muxers the remote offered in its payload (empty if none)
 * @param chosenMuxer   the muxer both sides will use without multistream-select, or null when either side offered
 *                      none (then the muxer is negotiated with multistream-select as usual)
 * @param handshakeHash the Noise handshake hash {@code h}, identical on both sides (usable for channel binding)
 */
public record NoiseSession(CipherState sender, CipherState receiver, PubKey remoteKey, PeerId remotePeer,
                           List<String> remoteMuxers, String chosenMuxer, byte[] handshakeHash) {
}
