package dev.edgelink.cni.internal;

import dev.edgelink.net.IpPrefix;
import java.math.BigInteger;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/** Address text and arithmetic: RFC 5952 text for IPv6 (what runtimes print), and addresses as numbers. */
public final class Addresses {
    private Addresses() {
    }

    /** {@code 10.1.0.5}, or the compressed IPv6 form {@code fd00::5}. */
    public static String format(InetAddress address) {
        if (!(address instanceof Inet6Address)) {
            return address.getHostAddress();
        }
        byte[] b = address.getAddress();
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
        }
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < 8; i++) {
            int j = i;
            while (j < 8 && groups[j] == 0) {
                j++;
            }
            if (j - i > bestLength) {
                bestStart = i;
                bestLength = j - i;
            }
            i = Math.max(i, j);
        }
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                s.append("::");
                i += bestLength - 1;
                continue;
            }
            if (s.length() > 0 && s.charAt(s.length() - 1) != ':') {
                s.append(':');
            }
            s.append(Integer.toHexString(groups[i]));
        }
        return s.toString();
    }

    /** {@code 10.1.0.5/24} with the address in {@link #format} form. */
    public static String format(IpPrefix prefix) {
        return format(prefix.address()) + "/" + prefix.length();
    }

    /**
     * A literal IPv4 ({@code a.b.c.d}) or IPv6 (anything with ':') address. Never a name lookup: text that is
     * neither is refused before {@link InetAddress} sees it (its parser would otherwise ask DNS about "cafe").
     */
    public static InetAddress parse(String text) {
        boolean v4 = text.matches("\\d{1,3}(\\.\\d{1,3}){3}");
        boolean v6 = text.indexOf(':') >= 0 && text.matches("[0-9a-fA-F:.]+");
        if (!v4 && !v6) {
            throw new IllegalArgumentException("not a literal IP address: " + text);
        }
        try {
            return InetAddress.getByName(text);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not a literal IP address: " + text, e);
        }
    }

    /** {@code address/length}, the address as {@link #parse} takes it. */
    public static IpPrefix parsePrefix(String text) {
        int slash = text.indexOf('/');
        if (slash < 0 || !text.substring(slash + 1).matches("\\d{1,3}")) {
            throw new IllegalArgumentException("not address/length: " + text);
        }
        return new IpPrefix(parse(text.substring(0, slash)), Integer.parseInt(text.substring(slash + 1)));
    }

    /** The address as an unsigned number. */
    public static BigInteger toNumber(InetAddress address) {
        return new BigInteger(1, address.getAddress());
    }

    /** The number as an address of {@code bytes} bytes (4 or 16). */
    public static InetAddress fromNumber(BigInteger number, int bytes) {
        byte[] raw = number.toByteArray();
        byte[] out = new byte[bytes];
        int copy = Math.min(raw.length, bytes);
        System.arraycopy(raw, raw.length - copy, out, bytes - copy, copy);
        try {
            return InetAddress.getByAddress(out);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an address length: " + bytes, e);
        }
    }

    /** The prefix in network form (host bits cleared). */
    public static IpPrefix network(IpPrefix prefix) {
        int bits = prefix.address().getAddress().length * 8;
        BigInteger mask = BigInteger.ONE.shiftLeft(bits).subtract(BigInteger.ONE)
                .shiftRight(prefix.length()).not();
        BigInteger net = toNumber(prefix.address()).and(mask).and(BigInteger.ONE.shiftLeft(bits)
                .subtract(BigInteger.ONE));
        return new IpPrefix(fromNumber(net, bits / 8), prefix.length());
    }

    /** Whether {@code address} lies in {@code prefix} (same family). */
    public static boolean contains(IpPrefix prefix, InetAddress address) {
        if (address.getAddress().length != prefix.address().getAddress().length) {
            return false;
        }
        IpPrefix a = network(new IpPrefix(address, prefix.length()));
        return a.address().equals(network(prefix).address());
    }
}
