package dev.edgelink.discovery.internal.record;

import dev.edgelink.libp2p.multiaddr.IpText;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Strict parsing of literal IP addresses from records. Never resolves names: a record field that is not a literal
 * is an error, not a DNS query. IPv4 is dotted quad without leading zeros (no octal ambiguity); IPv6 is any RFC 4291
 * text form without a zone; IPv4-mapped IPv6 is refused (write the IPv4 address).
 */
public final class IpLiteral {

    private static final Pattern V4 = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");
    private static final Pattern V6_CHARS = Pattern.compile("[0-9a-fA-F:.]+");

    private IpLiteral() {
    }

    /** @throws IllegalArgumentException saying what is wrong with {@code text} */
    public static InetAddress parse(String text) {
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
