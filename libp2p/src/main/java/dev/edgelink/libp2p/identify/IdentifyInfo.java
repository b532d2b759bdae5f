package dev.edgelink.libp2p.identify;

import dev.edgelink.libp2p.crypto.PubKey;
import dev.edgelink.libp2p.multiaddr.Multiaddr;
import java.util.List;
import java.util.Optional;

/**
 * What a peer told us about itself in identify.
 *
 * @param observedAddress how the peer sees us (our address as it arrives there), if it said
 */
public record IdentifyInfo(String protocolVersion, String agentVersion, Optional<PubKey> publicKey,
        List<Multiaddr> listenAddresses, List<String> protocols, Optional<Multiaddr> observedAddress) {

    public IdentifyInfo {
        listenAddresses = List.copyOf(listenAddresses);
        protocols = List.copyOf(protocols);
    }
}
