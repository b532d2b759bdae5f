package dev.edgelink.discovery.internal.store;

import dev.edgelink.discovery.NodeRecord;
import dev.edgelink.libp2p.peer.PeerId;
import dev.edgelink.net.IpPrefix;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;

/**
 * Who claims which node name and which pod CIDRs among the records a store holds, so that the records a new one may
 * clash with are found by lookups instead of a scan of the whole store. A scan made a full sync quadratic: a node
 * joining a cluster of 1000 compared half a million pairs, a third of the sync's CPU and more than one of the two
 * signature checks per record (VerifyBench, docs/benchmarks.md).
 *
 * <p>Prefixes are kept sorted by (family, network address, length). Two prefixes overlap exactly when one contains
 * the other, so the prefixes overlapping {@code p} are those whose network address lies within {@code p} (one range
 * of the map), and those shorter than {@code p} that contain it: one exact lookup per shorter length in use (a
 * cluster uses one or two lengths). It answers with candidates; the store still decides, on the records, whether
 * they clash now (liveness, the same peer). Not thread-safe: the store's lock guards it.
 */
final class ClaimIndex {

    private final Map<String, Set<PeerId>> names = new HashMap<>();
    private final NavigableMap<Key, Set<PeerId>> prefixes = new TreeMap<>();
    /** How many indexed prefixes have each length, per family (index 0: IPv4, 1: IPv6). */
    private final int[][] lengths = {new int[33], new int[129]};

    /** A prefix in map order: family, then network address (unsigned), then length. */
    private record Key(int family, byte[] address, int length) implements Comparable<Key> {

        static Key of(IpPrefix p) {
            byte[] address = p.address().getAddress();
            return new Key(address.length == 4 ? 0 : 1, address, p.length());
        }

        @Override
        public int compareTo(Key o) {
            int c = Integer.compare(family, o.family);
            if (c == 0) {
                c = Arrays.compareUnsigned(address, o.address);
            }
            return c != 0 ? c : Integer.compare(length, o.length);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && compareTo(k) == 0;
        }

        @Override
        public int hashCode() {
            return 31 * Arrays.hashCode(address) + length;
        }

        /** The address with every bit from {@code bits} on set (ones) or cleared. */
        byte[] fill(int bits, boolean ones) {
            byte[] out = address.clone();
            for (int i = bits; i < out.length * 8; i++) {
                int mask = 0x80 >>> (i % 8);
                out[i / 8] = (byte) (ones ? out[i / 8] | mask : out[i / 8] & ~mask);
            }
            return out;
        }
    }

    /** Indexes the claims of {@code r} under its peer. */
    void add(NodeRecord r) {
        names.computeIfAbsent(r.nodeName(), n -> new HashSet<>(2)).add(r.peerId());
        for (IpPrefix p : r.podCidrs()) {
            Key k = Key.of(p);
            if (prefixes.computeIfAbsent(k, x -> new HashSet<>(2)).add(r.peerId())) {
                lengths[k.family()][k.length()]++;
            }
        }
    }

    /** Forgets the claims of {@code r} (as added) under its peer. */
    void remove(NodeRecord r) {
        Set<PeerId> named = names.get(r.nodeName());
        if (named != null && named.remove(r.peerId()) && named.isEmpty()) {
            names.remove(r.nodeName());
        }
        for (IpPrefix p : r.podCidrs()) {
            Key k = Key.of(p);
            Set<PeerId> peers = prefixes.get(k);
            if (peers != null && peers.remove(r.peerId())) {
                lengths[k.family()][k.length()]--;
                if (peers.isEmpty()) {
                    prefixes.remove(k);
                }
            }
        }
    }

    /**
     * The peers whose indexed records claim {@code r}'s node name or a pod CIDR overlapping one of {@code r}'s: name
     * holders first, then by prefix. May include {@code r}'s own peer.
     */
    Set<PeerId> candidates(NodeRecord r) {
        Set<PeerId> out = new LinkedHashSet<>(names.getOrDefault(r.nodeName(), Set.of()));
        for (IpPrefix p : r.podCidrs()) {
            Key k = Key.of(p);
            Key first = new Key(k.family(), k.address(), 0);
            Key last = new Key(k.family(), k.fill(k.length(), true), Integer.MAX_VALUE);
            prefixes.subMap(first, true, last, true).values().forEach(out::addAll);
            int[] used = lengths[k.family()];
            for (int len = 0; len < k.length(); len++) {
                if (used[len] > 0) {
                    Set<PeerId> containing = prefixes.get(new Key(k.family(), k.fill(len, false), len));
                    if (containing != null) {
                        out.addAll(containing);
                    }
                }
            }
        }
        return out;
    }

    /** Whether nothing is indexed. */
    boolean isEmpty() {
        return names.isEmpty() && prefixes.isEmpty();
    }
}
