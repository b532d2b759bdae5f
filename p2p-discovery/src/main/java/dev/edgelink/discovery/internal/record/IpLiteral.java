package dev.edgelink.discovery.internal.record;

import dev.edgelink.libp2p.multiaddr.IpText;
import dev.edgelink.net.IpPrefix;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Strict parsing of literal IP addresses from records. Never resolves names: a record field that is not a literal
 * is an error, not a DNS query. IPv4 is dotted quad without leading zeros (no octal ambiguity); IPv6 is any RFC 4291
 * text form without a zone; IPv4-mapped IPv6 is refused (write the IPv4 address).
 */
public final class IpLiteral {

    private IpLiteral() {
    }

    /**
     * Parses with the project's one literal parser, {@link IpPrefix#literal}.
     *
     * @throws IllegalArgumentException saying what is wrong with {@code text}
     */
    public static InetAddress parse(String text) {
        return IpPrefix.literal(text);
    }

    /** The canonical text: dotted quad, or IPv6 as RFC 5952 recommends (lower case, longest zero run as ::). */
    public static String format(InetAddress address) {
        return IpText.format(address.getAddress());
    }

    public static InetAddress byAddress(byte[] bytes) {
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("an IP address has 4 or 16 bytes, got " + bytes.length, e);
        }
    }
}
