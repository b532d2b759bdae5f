package dev.edgelink.dataplane.tunnel;

import dev.edgelink.dataplane.backend.Subnets;
import dev.edgelink.net.IpPrefix;
import io.netty.buffer.ByteBuf;
import java.net.Inet4Address;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Pod CIDR -> peer, longest prefix first, looked up once per packet by the TUN reader. A binary trie per family,
 * one level per address bit, changed in place: adding or removing a prefix walks or prunes one path (at most 32 or
 * 128 nodes), so a peer's change costs O(its prefixes), whatever the number of peers. A lookup walks the same path
 * from the root, remembering the last value passed: at most one node per bit of the longest prefix on the path,
 * without locks or allocation.
 *
 * <p>Readers run concurrently with one writer (writers are serialised on this object): child links and values are
 * volatile, a new node is linked only once made, and a removed path is unlinked from its deepest end up. A reader
 * therefore sees, for each prefix, either its value before or after a concurrent change; while a peer's prefixes are
 * being replaced a packet may find the old prefix gone and the new one not yet there (it is then dropped as having
 * no peer, as before the peer was known).
 *
 * @param <T> what a prefix leads to (the per-peer slot); compared by identity
 */
final class PrefixTable<T> {
    /** One bit position of the trie; {@code value} is set where a prefix ends. */
    private static final class Node {
        volatile Node zero;
        volatile Node one;
        volatile Object value;

        Node child(boolean bit) {
            return bit ? one : zero;
        }

        boolean empty() {
            return value == null && zero == null && one == null;
        }
    }

    private final Node v4 = new Node();
    private final Node v6 = new Node();
    /** Prefix (network form) to its value; guarded by this. */
    private final Map<IpPrefix, T> entries = new HashMap<>();
    /** Value to its prefixes, in the order they were added; guarded by this. */
    private final Map<T, Set<IpPrefix>> byValue = new IdentityHashMap<>();

    /** Sends {@code prefix} to {@code value} (taking it from another value that had it). */
    synchronized void put(IpPrefix prefix, T value) {
        IpPrefix p = Subnets.network(prefix);
        T before = entries.put(p, value);
        if (before == value) {
            return;
        }
        if (before != null) {
            forget(before, p);
        }
        byValue.computeIfAbsent(value, v -> new LinkedHashSet<>()).add(p);
        insert(p, value);
    }

    /** Makes {@code prefixes} exactly the prefixes of {@code value}: O(its old and new prefixes). */
    synchronized void setPrefixes(T value, Collection<IpPrefix> prefixes) {
        Set<IpPrefix> want = new LinkedHashSet<>();
        prefixes.forEach(p -> want.add(Subnets.network(p)));
        Set<IpPrefix> have = byValue.get(value);
        if (have != null) {
            for (IpPrefix p : new ArrayList<>(have)) {
                if (!want.contains(p)) {
                    remove(p);
                }
            }
        }
        want.forEach(p -> put(p, value));
    }

    /** Removes every prefix of {@code value}. */
    synchronized void removeValue(T value) {
        Set<IpPrefix> have = byValue.get(value);
        if (have != null) {
            new ArrayList<>(have).forEach(this::remove);
        }
    }

    /** The prefixes of {@code value}, in the order they were added. */
    synchronized List<IpPrefix> prefixesOf(T value) {
        Set<IpPrefix> have = byValue.get(value);
        return have == null ? List.of() : new ArrayList<>(have);
    }

    /** The value for the IPv4 or IPv6 address at {@code index} ({@code v6}: 16 bytes, else 4), or null. */
    @SuppressWarnings("unchecked")
    T lookup(ByteBuf buf, int index, boolean v6) {
        if (!v6) {
            int a = buf.getInt(index);
            Node n = this.v4;
            Object best = n.value;
            for (int bit = 31; bit >= 0; bit--) {
                n = n.child(((a >>> bit) & 1) != 0);
                if (n == null) {
                    break;
                }
                Object v = n.value;
                best = v != null ? v : best;
            }
            return (T) best;
        }
        long hi = buf.getLong(index);
        long lo = buf.getLong(index + 8);
        Node n = this.v6;
        Object best = n.value;
        for (int bit = 0; bit < 128; bit++) {
            long word = bit < 64 ? hi : lo;
            n = n.child(((word >>> (63 - (bit & 63))) & 1) != 0);
            if (n == null) {
                break;
            }
            Object v = n.value;
            best = v != null ? v : best;
        }
        return (T) best;
    }

    private void remove(IpPrefix p) {
        T value = entries.remove(p);
        if (value == null) {
            return;
        }
        forget(value, p);
        Node[] path = path(p);
        Node end = path[p.length()];
        if (end == null) {
            return;
        }
        end.value = null;
        byte[] a = p.address().getAddress();
        for (int depth = p.length(); depth > 0 && path[depth].empty(); depth--) {
            Node parent = path[depth - 1];
            if (bit(a, depth - 1)) {
                parent.one = null;
            } else {
                parent.zero = null;
            }
        }
    }

    private void forget(T value, IpPrefix p) {
        Set<IpPrefix> of = byValue.get(value);
        if (of != null && of.remove(p) && of.isEmpty()) {
            byValue.remove(value);
        }
    }

    private void insert(IpPrefix p, T value) {
        byte[] a = p.address().getAddress();
        Node n = root(p);
        for (int depth = 0; depth < p.length(); depth++) {
            boolean one = bit(a, depth);
            Node next = n.child(one);
            if (next == null) {
                next = new Node();
                if (one) {
                    n.one = next;
                } else {
                    n.zero = next;
                }
            }
            n = next;
        }
        n.value = value;
    }

    /** The nodes from the root (index 0) along {@code p}'s bits; null past the end of the existing path. */
    private Node[] path(IpPrefix p) {
        byte[] a = p.address().getAddress();
        Node[] out = new Node[p.length() + 1];
        out[0] = root(p);
        for (int depth = 0; depth < p.length() && out[depth] != null; depth++) {
            out[depth + 1] = out[depth].child(bit(a, depth));
        }
        return out;
    }

    private Node root(IpPrefix p) {
        return p.address() instanceof Inet4Address ? v4 : v6;
    }

    private static boolean bit(byte[] a, int index) {
        return (a[index / 8] & (0x80 >>> (index % 8))) != 0;
    }
}
