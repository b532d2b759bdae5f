package dev.edgelink.discovery.internal.members;

import dev.edgelink.libp2p.peer.PeerId;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The view as range reconciliation sees it: every record held, as (key, peer, sequence), sorted by key, with
 * running sums of the entry hashes so that any {@link KeyRange} is summarised in O(log N).
 *
 * <p>A record's key is the first 8 bytes of SHA-256 of its peer id (big-endian, compared unsigned): uniform
 * whatever the key type, and the same on every node. Its entry hash mixes key and sequence with the SplitMix64
 * finaliser; a range's hash is the sum of its entries' hashes modulo 2^64. Two holders of the same records in a
 * range get the same count and hash; a different sequence or a record more or less changes the hash except with
 * probability about 2^-64. The hash is not keyed: a member could choose sequences that make its own difference
 * cancel another's, which would delay that other record until the next differing round or a push; a member that
 * wants to withhold records can simply not send them, so this is no new power.
 *
 * <p>Immutable. Built from a digest in O(N log N); keys already computed for the previous index are reused, so a
 * view that changes by a few records a second costs a sort, not N SHA-256 computations, per change.
 */
public final class ViewIndex {

    public static final ViewIndex EMPTY = new ViewIndex(new long[0], new PeerId[0], new long[0], Map.of());

    private final long[] keys;
    private final PeerId[] peers;
    private final long[] seqs;
    /** {@code sums[i]}: the sum of the entry hashes of entries 0..i-1. */
    private final long[] sums;
    private final Map<PeerId, Long> keyOf;

    private ViewIndex(long[] keys, PeerId[] peers, long[] seqs, Map<PeerId, Long> keyOf) {
        this.keys = keys;
        this.peers = peers;
        this.seqs = seqs;
        this.keyOf = keyOf;
        this.sums = new long[keys.length + 1];
        for (int i = 0; i < keys.length; i++) {
            sums[i + 1] = sums[i] + entryHash(keys[i], seqs[i]);
        }
    }

    /**
     * An index of {@code digest} (peer, sequence); keys known to {@code previous} are taken from it, and when the
     * peers are the same as there (the common change: a record re-issued), so is their order.
     */
    public static ViewIndex of(Map<PeerId, Long> digest, ViewIndex previous) {
        int n = digest.size();
        if (n == previous.peers.length && previous.keyOf.keySet().containsAll(digest.keySet())) {
            long[] seqs = new long[n];
            for (int j = 0; j < n; j++) {
                seqs[j] = digest.get(previous.peers[j]);
            }
            return new ViewIndex(previous.keys, previous.peers, seqs, previous.keyOf);
        }
        long[] sorted = new long[n];
        Map<Long, Integer> position = new HashMap<>(n * 2);
        PeerId[] unsortedPeers = new PeerId[n];
        long[] unsortedSeqs = new long[n];
        Map<PeerId, Long> keyOf = new HashMap<>(n * 2);
        int i = 0;
        for (Map.Entry<PeerId, Long> e : digest.entrySet()) {
            Long known = previous.keyOf.get(e.getKey());
            long key = known != null ? known : key(e.getKey());
            keyOf.put(e.getKey(), key);
            unsortedPeers[i] = e.getKey();
            unsortedSeqs[i] = e.getValue();
            // Flipping the sign bit makes a signed sort an unsigned one.
            sorted[i] = key ^ Long.MIN_VALUE;
            if (position.put(key, i) != null) {
                return sortedAsObjects(digest, keyOf);
            }
            i++;
        }
        Arrays.sort(sorted);
        long[] keys = new long[n];
        PeerId[] peers = new PeerId[n];
        long[] seqs = new long[n];
        for (int j = 0; j < n; j++) {
            keys[j] = sorted[j] ^ Long.MIN_VALUE;
            int at = position.get(keys[j]);
            peers[j] = unsortedPeers[at];
            seqs[j] = unsortedSeqs[at];
        }
        return new ViewIndex(keys, peers, seqs, keyOf);
    }

    /** Two peers with one key (a 2^-64 chance per pair): sorted as objects, both kept. */
    static ViewIndex sortedAsObjects(Map<PeerId, Long> digest, Map<PeerId, Long> keyOf) {
        record Slot(long key, PeerId peer, long seq) {
        }
        List<Slot> slots = new ArrayList<>(digest.size());
        digest.forEach((peer, seq) -> {
            long key = keyOf.computeIfAbsent(peer, ViewIndex::key);
            slots.add(new Slot(key, peer, seq));
        });
        slots.sort(Comparator.comparing(Slot::key, Long::compareUnsigned));
        long[] keys = new long[slots.size()];
        PeerId[] peers = new PeerId[slots.size()];
        long[] seqs = new long[slots.size()];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = slots.get(i).key();
            peers[i] = slots.get(i).peer();
            seqs[i] = slots.get(i).seq();
        }
        return new ViewIndex(keys, peers, seqs, keyOf);
    }

    /** The record key of {@code peer}: the first 8 bytes of SHA-256 of its binary form, big-endian. */
    public static long key(PeerId peer) {
        byte[] h;
        try {
            h = MessageDigest.getInstance("SHA-256").digest(peer.toBytes());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
        long k = 0;
        for (int i = 0; i < Long.BYTES; i++) {
            k = k << 8 | (h[i] & 0xff);
        }
        return k;
    }

    /** The key of {@code peer}, from this index if it holds the peer. */
    public long keyOf(PeerId peer) {
        Long known = keyOf.get(peer);
        return known != null ? known : key(peer);
    }

    /** What one record adds to its range's hash. */
    public static long entryHash(long key, long seq) {
        return mix(key + mix(seq + 0x9e3779b97f4a7c15L));
    }

    /** SplitMix64's finaliser: a bijection of 64-bit values that spreads every input bit. */
    static long mix(long z) {
        z = (z ^ z >>> 30) * 0xbf58476d1ce4e5b9L;
        z = (z ^ z >>> 27) * 0x94d049bb133111ebL;
        return z ^ z >>> 31;
    }

    public int size() {
        return keys.length;
    }

    /** Count and hash of what this index holds in {@code range}. */
    public Exchange.Summary summary(KeyRange range) {
        int from = from(range);
        int to = to(range);
        return new Exchange.Summary(range, to - from, sums[to] - sums[from]);
    }

    /** How many records this index holds in {@code range}. */
    public int count(KeyRange range) {
        return to(range) - from(range);
    }

    /** Every record this index holds in {@code range}, in key order. */
    public List<Exchange.Entry> entries(KeyRange range) {
        int from = from(range);
        int to = to(range);
        List<Exchange.Entry> out = new ArrayList<>(to - from);
        for (int i = from; i < to; i++) {
            out.add(new Exchange.Entry(peers[i], seqs[i]));
        }
        return out;
    }

    /** The first position whose key is at or above the range's first key. */
    private int from(KeyRange range) {
        return range.depth() == 0 ? 0 : firstAbove(range.first(), false);
    }

    /** The first position whose key is above the range's last key. */
    private int to(KeyRange range) {
        return range.depth() == 0 ? keys.length : firstAbove(range.last(), true);
    }

    private int firstAbove(long key, boolean strictly) {
        int lo = 0;
        int hi = keys.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            int c = Long.compareUnsigned(keys[mid], key);
            if (c < 0 || strictly && c == 0) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    @Override
    public String toString() {
        return "ViewIndex{" + keys.length + " records, hash " + Long.toHexString(sums[keys.length]) + ", keys "
                + Arrays.toString(Arrays.copyOf(keys, Math.min(4, keys.length))) + "...}";
    }
}
