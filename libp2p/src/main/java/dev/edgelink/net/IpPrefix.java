package dev.edgelink.net;

import dev.edgelink.libp2p.multiaddr.IpText;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An IPv4 or IPv6 address with a prefix length: a pod CIDR {@code 10.244.1.0/24}, a route destination, or an
 * interface address {@code 10.244.1.7/24}.
 *
 * <p>The record keeps the address as given, host bits included, since interface addresses need them. Where a
 * prefix names a network (a pod CIDR in a record or certificate) and a host bit set is an error rather than a
 * typo to fix silently, make it with {@link #parseNetwork} or {@link #network}, which refuse host bits, so that
 * such a prefix has one text form and two of them are equal exactly when they cover the same addresses.
 *
 * <p>It lives in the libp2p module, in a package of its own, because that is the one module every other
 * (discovery, data plane, CNI, agent) builds on: discovery announces pod CIDRs that the data plane routes, and
 * both speak of them with this one type. Text is parsed strictly and never resolved as a host name; it prints
 * as RFC 5952 recommends ({@code fd00:10:244:1::/64}).
 */
public record IpPrefix(InetAddress address, int length) {

    private static final Pattern V4 = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");
    private static final Pattern V6_CHARS = Pattern.compile("[0-9a-fA-F:.]+");
    private static final Pattern LENGTH = Pattern.compile("\\d{1,3}");

    /** @throws IllegalArgumentException if the length does not fit the address family */
    public IpPrefix {
        Objects.requireNonNull(address, "address");
        int bits = address.getAddress().length * 8;
        if (length < 0 || length > bits) {
            throw new IllegalArgumentException("prefix length " + length + " out of range 0.." + bits + " for "
                    + IpText.format(address.getAddress()));
        }
    }

    /**
     * Parses {@code address/length}, keeping host bits ({@code 10.0.0.1/24} is the interface address it says).
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    public static IpPrefix parse(String text) {
        int slash = text.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("'" + text + "' is not a CIDR (expected address/length)");
        }
        String len = text.substring(slash + 1);
        if (!LENGTH.matcher(len).matches()) {
            throw new IllegalArgumentException("invalid prefix length in '" + text + "'");
        }
        return new IpPrefix(literal(text.substring(0, slash)), Integer.parseInt(len));
    }

    /**
     * Parses a network prefix such as a pod CIDR: as {@link #parse}, but host bits must be zero.
     *
     * @throws IllegalArgumentException naming what is wrong, e.g. "host bits set in 10.244.1.1/24"
     */
    public static IpPrefix parseNetwork(String text) {
        IpPrefix p = parse(text);
        return network(p.address(), p.length());
    }

    /**
     * The network prefix {@code address/length}.
     *
     * @throws IllegalArgumentException if a bit after the first {@code length} is set, or the length is out of range
     */
    public static IpPrefix network(InetAddress address, int length) {
        IpPrefix p = new IpPrefix(address, length);
        if (!p.isNetwork()) {
            throw new IllegalArgumentException("host bits set in " + p + " (the prefix must be the network address)");
        }
        return p;
    }

    /** The whole-address prefix of one address (/32 or /128). */
    public static IpPrefix host(InetAddress address) {
        return new IpPrefix(address, address.getAddress().length * 8);
    }

    /**
     * A literal IPv4 or IPv6 address; never resolves names, so text that is not a literal is an error, not a DNS
     * query. IPv4 is a dotted quad without leading zeros (no octal ambiguity); IPv6 is any RFC 4291 text form
     * without a zone; IPv4-mapped IPv6 is refused (write the IPv4 address).
     *
     * @throws IllegalArgumentException saying what is wrong with {@code text}
     */
    public static InetAddress literal(String text) {
        Matcher m = V4.matcher(text);
        if (m.matches()) {
            byte[] bytes = new byte[4];
            for (int i = 0; i < 4; i++) {
                String part = m.group(i + 1);
                int value = Integer.parseInt(part);
                if (value > 255 || (part.length() > 1 && part.charAt(0) == '0')) {
                    throw new IllegalArgumentException("invalid IPv4 address '" + text + "'");
                }
                bytes[i] = (byte) value;
            }
            return byAddress(bytes);
        }
        if (text.indexOf(':') < 0 || !V6_CHARS.matcher(text).matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a literal IPv4 or IPv6 address");
        }
        InetAddress address;
        try {
            // With a ':' and only hex digits, colons and dots, this parses a literal and never queries DNS.
            address = InetAddress.getByName(text);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("invalid IPv6 address '" + text + "'", e);
        }
        if (address instanceof Inet4Address) {
            throw new IllegalArgumentException("IPv4-mapped IPv6 address '" + text + "': write the IPv4 address");
        }
        return byAddress(address.getAddress());
    }

    private static InetAddress byAddress(byte[] bytes) {
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("an IP address has 4 or 16 bytes, got " + bytes.length, e);
        }
    }

    public boolean isIpv4() {
        return address.getAddress().length == 4;
    }

    /** True when every bit after the first {@code length} is zero: the prefix is written as its network. */
    public boolean isNetwork() {
        byte[] bytes = address.getAddress();
        for (int i = length; i < bytes.length * 8; i++) {
            if (bit(bytes, i)) {
                return false;
            }
        }
        return true;
    }

    /**
     * True when the two prefixes share at least one address (one contains the other). Only the first
     * {@code length} bits of each count, so host bits do not matter.
     */
    public boolean overlaps(IpPrefix other) {
        byte[] a = address.getAddress();
        byte[] b = other.address.getAddress();
        if (a.length != b.length) {
            return false;
        }
        int common = Math.min(length, other.length);
        for (int i = 0; i < common; i++) {
            if (bit(a, i) != bit(b, i)) {
                return false;
            }
        }
        return true;
    }

    private static boolean bit(byte[] bytes, int index) {
        return (bytes[index / 8] & (0x80 >>> (index % 8))) != 0;
    }

    /** {@code 10.244.1.0/24}, {@code fd00:10:244:1::/64}: the canonical text, which {@link #parse} reads back. */
    @Override
    public String toString() {
        return IpText.format(address.getAddress()) + "/" + length;
    }
}
