package dev.edgelink.discovery.internal.members;

import dev.edgelink.discovery.trust.Fingerprint;
import dev.edgelink.libp2p.peer.PeerId;
import java.util.List;
import java.util.Map;

/**
 * One message of a push-pull exchange.
 *
 * @param digest (peer, sequence) of every record the sender holds; empty in the initiator's last message
 * @param records signed record envelopes the receiver lacks or holds older; empty in the initiator's first message
 * @param revocationDigest (CA fingerprint, sequence) of the revocation lists the sender holds, next to the digest
 * @param revocations encoded revocation lists the receiver lacks or holds older
 * @param maxReplyBytes the largest message the sender accepts in reply; 0 when it does not say (last message)
 */
public record Exchange(Map<PeerId, Long> digest, List<byte[]> records, Map<Fingerprint, Long> revocationDigest,
                       List<byte[]> revocations, int maxReplyBytes) {

    public Exchange {
        digest = Map.copyOf(digest);
        records = List.copyOf(records);
        revocationDigest = Map.copyOf(revocationDigest);
        revocations = List.copyOf(revocations);
        if (maxReplyBytes < 0) {
            throw new IllegalArgumentException("maxReplyBytes must not be negative: " + maxReplyBytes);
        }
    }

    public Exchange(Map<PeerId, Long> digest, List<byte[]> records) {
        this(digest, records, Map.of(), List.of(), 0);
    }

    public static Exchange digestOnly(Map<PeerId, Long> digest) {
        return new Exchange(digest, List.of());
    }

    public static Exchange recordsOnly(List<byte[]> records) {
        return new Exchange(Map.of(), records);
    }
}
