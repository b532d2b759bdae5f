package dev.edgelink.dataplane.tunnel;

import dev.edgelink.dataplane.netlink.IpPrefix;
import io.netty.buffer.ByteBuf;
import java.net.Inet4Address;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Pod CIDR -> peer, longest prefix first, looked up once per packet by the TUN reader. Copy-on-write: updates
 * (rare: a node joins or leaves) build new arrays under a lock, lookups read one volatile snapshot and neither
 * lock nor allocate. A linear scan over prefixes sorted longest first: a cluster has one entry per node, and for
 * the few hundred nodes of an edge cluster the scan over two int/long arrays costs less than hashing would.
 *
 * @param <T> what a prefix leads to (the per-peer slot)
 */
final class PrefixTable<T> {
    private record Snapshot(int[] v4Addr, int[] v4Mask, Object[] v4Value, long[] v6Hi, long[] v6Lo, long[] v6MaskHi,
                            long[] v6MaskLo, Object[] v6Value) {
    }

    private final Map<IpPrefix, T> entries = new LinkedHashMap<>();
    private volatile Snapshot snapshot = build(Map.of());

    synchronized void put(IpPrefix prefix, T value) {
        entries.put(prefix, value);
        snapshot = build(entries);
    }

    synchronized void removeValue(T value) {
        entries.values().removeIf(v -> v == value);
        snapshot = build(entries);
    }

    synchronized List<IpPrefix> prefixesOf(T value) {
        List<IpPrefix> out = new ArrayList<>();
        entries.forEach((p, v) -> {
            if (v == value) {
                out.add(p);
            }
        });
        return out;
    }

    /** The value for the IPv4 or IPv6 address at {@code index} ({@code v6}: 16 bytes, else 4), or null. */
    @SuppressWarnings("unchecked")
    T lookup(ByteBuf buf, int index, boolean v6) {
        Snapshot s = snapshot;
        if (!v6) {
            int a = buf.getInt(index);
            for (int i = 0; i < s.v4Addr.length; i++) {
                if ((a & s.v4Mask[i]) == s.v4Addr[i]) {
                    return (T) s.v4Value[i];
                }
            }
            return null;
        }
        long hi = buf.getLong(index);
        long lo = buf.getLong(index + 8);
        for (int i = 0; i < s.v6Hi.length; i++) {
            if ((hi & s.v6MaskHi[i]) == s.v6Hi[i] && (lo & s.v6MaskLo[i]) == s.v6Lo[i]) {
                return (T) s.v6Value[i];
            }
        }
        return null;
    }

    private static <T> Snapshot build(Map<IpPrefix, T> entries) {
        List<Map.Entry<IpPrefix, T>> sorted = new ArrayList<>(entries.entrySet());
        sorted.sort(Comparator.comparingInt((Map.Entry<IpPrefix, T> e) -> e.getKey().length()).reversed());
        List<Map.Entry<IpPrefix, T>> v4 = sorted.stream().filter(e -> isV4(e.getKey())).toList();
        List<Map.Entry<IpPrefix, T>> v6 = sorted.stream().filter(e -> !isV4(e.getKey())).toList();
        int[] addr = new int[v4.size()];
        int[] mask = new int[v4.size()];
        Object[] values4 = new Object[v4.size()];
        for (int i = 0; i < v4.size(); i++) {
            IpPrefix p = v4.get(i).getKey();
            mask[i] = p.length() == 0 ? 0 : -1 << (32 - p.length());
            addr[i] = ByteBuffer.wrap(p.address().getAddress()).getInt() & mask[i];
            values4[i] = v4.get(i).getValue();
        }
        long[] hi = new long[v6.size()];
        long[] lo = new long[v6.size()];
        long[] maskHi = new long[v6.size()];
        long[] maskLo = new long[v6.size()];
        Object[] values6 = new Object[v6.size()];
        for (int i = 0; i < v6.size(); i++) {
            IpPrefix p = v6.get(i).getKey();
            int len = p.length();
            maskHi[i] = len == 0 ? 0 : len >= 64 ? -1L : -1L << (64 - len);
            maskLo[i] = len <= 64 ? 0 : len == 128 ? -1L : -1L << (128 - len);
            ByteBuffer b = ByteBuffer.wrap(p.address().getAddress());
            hi[i] = b.getLong() & maskHi[i];
            lo[i] = b.getLong() & maskLo[i];
            values6[i] = v6.get(i).getValue();
        }
        return new Snapshot(addr, mask, values4, hi, lo, maskHi, maskLo, values6);
    }

    private static boolean isV4(IpPrefix p) {
        return p.address() instanceof Inet4Address;
    }
}
