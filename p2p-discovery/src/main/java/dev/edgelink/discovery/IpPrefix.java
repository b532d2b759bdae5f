package dev.edgelink.discovery;

import dev.edgelink.discovery.internal.record.IpLiteral;
import java.net.InetAddress;

/**
 * An IPv4 or IPv6 prefix such as a pod CIDR: {@code 10.244.1.0/24}, {@code fd00:10:244:1::/64}. Host bits must be
 * zero, so every prefix has one text form and two prefixes are equal exactly when they cover the same addresses.
 */
public record IpPrefix(InetAddress address, int length) {

    public IpPrefix {
        byte[] bytes = address.getAddress();
        int bits = bytes.length * 8;
        if (length < 0 || length > bits) {
            throw new IllegalArgumentException("prefix length " + length + " out of range 0.." + bits);
        }
        for (int i = length; i < bits; i++) {
            if (bit(bytes, i)) {
                throw new IllegalArgumentException("host bits set in " + IpLiteral.format(address) + "/" + length
                        + " (the prefix must be the network address)");
            }
        }
        address = IpLiteral.byAddress(bytes);
    }

    /** Parses {@code address/length}. @throws IllegalArgumentException naming what is wrong */
    public static IpPrefix parse(String text) {
        int slash = text.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("'" + text + "' is not a CIDR (expected address/length)");
        }
        String len = text.substring(slash + 1);
        if (!len.matches("\\d{1,3}")) {
            throw new IllegalArgumentException("invalid prefix length in '" + text + "'");
        }
        return new IpPrefix(IpLiteral.parse(text.substring(0, slash)), Integer.parseInt(len));
    }

    public boolean isIpv4() {
        return address.getAddress().length == 4;
    }

    /** True when the two prefixes share at least one address (one contains the other). */
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

    @Override
    public String toString() {
        return IpLiteral.format(address) + "/" + length;
    }
}
