package dev.edgelink.agent.config;

import dev.edgelink.net.IpPrefix;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;

/** Prefix arithmetic for validation (network form, containment, overlap). */
public final class Cidrs {
    private Cidrs() {
    }

    /** The prefix with its host bits cleared. */
    public static IpPrefix network(IpPrefix p) {
        byte[] b = p.address().getAddress();
        for (int i = p.length(); i < b.length * 8; i++) {
            b[i / 8] &= (byte) ~(0x80 >>> (i % 8));
        }
        try {
            return new IpPrefix(InetAddress.getByAddress(b), p.length());
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** True if {@code inner} lies wholly inside {@code outer} (same family). */
    public static boolean contains(IpPrefix outer, IpPrefix inner) {
        if (outer.address().getAddress().length != inner.address().getAddress().length
                || inner.length() < outer.length()) {
            return false;
        }
        return network(new IpPrefix(inner.address(), outer.length())).equals(network(outer));
    }

    /** True if the two share an address. */
    public static boolean overlaps(IpPrefix a, IpPrefix b) {
        return contains(a, b) || contains(b, a);
    }

    /** True if {@code address} lies in {@code prefix}. */
    public static boolean contains(IpPrefix prefix, InetAddress address) {
        return contains(prefix, IpPrefix.host(address));
    }

    /** The address {@code offset} after the prefix's network address. */
    public static InetAddress offset(IpPrefix p, long offset) {
        byte[] b = network(p).address().getAddress();
        BigInteger n = new BigInteger(1, b).add(BigInteger.valueOf(offset));
        byte[] raw = n.toByteArray();
        byte[] out = new byte[b.length];
        int copy = Math.min(raw.length, out.length);
        System.arraycopy(raw, raw.length - copy, out, out.length - copy, copy);
        try {
            return InetAddress.getByAddress(out);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
