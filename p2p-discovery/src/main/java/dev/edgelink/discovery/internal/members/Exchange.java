package dev.edgelink.discovery.internal.members;

import dev.edgelink.discovery.trust.Fingerprint;
import dev.edgelink.libp2p.peer.PeerId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One message of a members exchange (see {@link MembersCodec} for the wire and {@link PushPullSession} for the
 * turns).
 *
 * @param ranges range summaries to compare
 * @param items ranges listed whole
 * @param announce records the sender holds and the receiver may lack, as (peer, sequence)
 * @param want peers whose record the sender asks for
 * @param records signed record envelopes
 * @param revocationDigest (CA fingerprint, sequence) of the revocation lists the sender holds
 * @param revocations encoded revocation lists
 * @param maxReplyBytes the largest message the sender accepts in reply; 0 when it does not say
 * @param more the sender has more queued than fitted: the receiver answers even with nothing to say
 */
public record Exchange(List<Summary> ranges, List<Items> items, List<Entry> announce, List<PeerId> want,
                       List<byte[]> records, Map<Fingerprint, Long> revocationDigest, List<byte[]> revocations,
                       int maxReplyBytes, boolean more) {

    /** A record as (peer, sequence). */
    public record Entry(PeerId peer, long seq) {
    }

    /** What the sender holds in {@code range}: how many records, and the sum of their entry hashes. */
    public record Summary(KeyRange range, int count, long hash) {
    }

    /** Every record the sender holds in {@code range}. */
    public record Items(KeyRange range, List<Entry> entries) {
        public Items {
            entries = List.copyOf(entries);
        }
    }

    public Exchange {
        ranges = List.copyOf(ranges);
        items = List.copyOf(items);
        announce = List.copyOf(announce);
        want = List.copyOf(want);
        records = List.copyOf(records);
        revocationDigest = Map.copyOf(revocationDigest);
        revocations = List.copyOf(revocations);
        if (maxReplyBytes < 0) {
            throw new IllegalArgumentException("maxReplyBytes must not be negative: " + maxReplyBytes);
        }
    }

    /**
     * Whether the receiver must answer: the message asks something (ranges, items, an announcement, wants, a
     * revocation digest) or says more is coming. A message that does not is the exchange's last.
     */
    public boolean expectsReply() {
        return more || !ranges.isEmpty() || !items.isEmpty() || !announce.isEmpty() || !want.isEmpty()
                || !revocationDigest.isEmpty();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Collects a message part by part. */
    public static final class Builder {
        private final List<Summary> ranges = new ArrayList<>();
        private final List<Items> items = new ArrayList<>();
        private final List<Entry> announce = new ArrayList<>();
        private final List<PeerId> want = new ArrayList<>();
        private final List<byte[]> records = new ArrayList<>();
        private final Map<Fingerprint, Long> revocationDigest = new LinkedHashMap<>();
        private final List<byte[]> revocations = new ArrayList<>();
        private int maxReplyBytes;
        private boolean more;

        private Builder() {
        }

        public Builder range(Summary s) {
            ranges.add(s);
            return this;
        }

        public Builder items(Items i) {
            items.add(i);
            return this;
        }

        public Builder announce(Entry e) {
            announce.add(e);
            return this;
        }

        public Builder want(PeerId peer) {
            want.add(peer);
            return this;
        }

        public Builder record(byte[] envelope) {
            records.add(envelope);
            return this;
        }

        public Builder revocationDigest(Map<Fingerprint, Long> digest) {
            revocationDigest.putAll(digest);
            return this;
        }

        public Builder revocation(byte[] list) {
            revocations.add(list);
            return this;
        }

        public Builder maxReplyBytes(int v) {
            maxReplyBytes = v;
            return this;
        }

        public Builder more(boolean v) {
            more = v;
            return this;
        }

        public Exchange build() {
            return new Exchange(ranges, items, announce, want, records, revocationDigest, revocations,
                    maxReplyBytes, more);
        }
    }
}
