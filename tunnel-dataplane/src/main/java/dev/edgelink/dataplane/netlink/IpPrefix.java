package dev.edgelink.dataplane.netlink;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Objects;

/**
 * An address with a prefix length, e.g. a pod CIDR {@code 10.244.1.0/24} or an interface address
 * {@code 10.244.1.0/32}. The address is kept as given (host bits are not cleared), since interface addresses need
 * them; route destinations should be given in network form.
 */
public record IpPrefix(InetAddress address, int length) {
    public IpPrefix {
        Objects.requireNonNull(address, "address");
        int max = address.getAddress().length * 8;
        if (length < 0 || length > max) {
            throw new IllegalArgumentException("prefix length " + length + " out of 0.." + max + " for " + address);
        }
    }

    /** From {@code "10.244.1.0/24"}; literal addresses only (never a DNS lookup). */
    public static IpPrefix parse(String text) {
        int slash = text.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("no prefix length in " + text);
        }
        return new IpPrefix(literal(text.substring(0, slash)), Integer.parseInt(text.substring(slash + 1)));
    }

    /** A literal IPv4 or IPv6 address; never resolves names. */
    public static InetAddress literal(String text) {
        if (!text.matches("[0-9a-fA-F:.]+")) {
            throw new IllegalArgumentException("not a literal IP address: " + text);
        }
        try {
            return InetAddress.getByName(text);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not a literal IP address: " + text, e);
        }
    }

    /** The whole-address prefix of one address (/32 or /128). */
    public static IpPrefix host(InetAddress address) {
        return new IpPrefix(address, address.getAddress().length * 8);
    }

    @Override
    public String toString() {
        return address.getHostAddress() + "/" + length;
    }
}
