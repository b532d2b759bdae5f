package dev.edgelink.discovery.internal.members;

import dev.edgelink.libp2p.peer.PeerId;
import java.util.List;
import java.util.Map;

/**
 * One message of a push-pull exchange.
 *
 * @param digest (peer, sequence) of every record the sender holds; empty in the initiator's last message
 * @param records signed record envelopes the receiver lacks or holds older; empty in the initiator's first message
 */
public record Exchange(Map<PeerId, Long> digest, List<byte[]> records) {

    public Exchange {
        digest = Map.copyOf(digest);
        records = List.copyOf(records);
    }

    public static Exchange digestOnly(Map<PeerId, Long> digest) {
        return new Exchange(digest, List.of());
    }

    public static Exchange recordsOnly(List<byte[]> records) {
        return new Exchange(Map.of(), records);
    }
}
