package dev.edgelink.dataplane.backend;

import dev.edgelink.net.IpPrefix;
import java.net.InetAddress;
import java.net.UnknownHostException;

/** Prefix arithmetic the backends need (no lookups, no I/O). */
public final class Subnets {
    private Subnets() {
    }

    /** True if {@code address} is inside {@code prefix} (same family, same leading {@code length} bits). */
    public static boolean contains(IpPrefix prefix, InetAddress address) {
        byte[] p = prefix.address().getAddress();
        byte[] a = address.getAddress();
        if (p.length != a.length) {
            return false;
        }
        int bits = prefix.length();
        for (int i = 0; i < p.length && bits > 0; i++, bits -= 8) {
            int mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
            if ((p[i] & mask) != (a[i] & mask)) {
                return false;
            }
        }
        return true;
    }

    /** The prefix in network form (host bits cleared): {@code 10.0.0.1/24} becomes {@code 10.0.0.0/24}. */
    public static IpPrefix network(IpPrefix prefix) {
        byte[] a = prefix.address().getAddress();
        int bits = prefix.length();
        for (int i = 0; i < a.length; i++, bits -= 8) {
            if (bits >= 8) {
                continue;
            }
            a[i] = (byte) (bits <= 0 ? 0 : a[i] & (0xff << (8 - bits)));
        }
        try {
            return new IpPrefix(InetAddress.getByAddress(a), prefix.length());
        } catch (UnknownHostException e) {
            throw new IllegalStateException("a byte array of a valid length was refused", e);
        }
    }
}
