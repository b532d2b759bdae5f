package dev.edgelink.lab;

import java.util.regex.Pattern;

/** Validation of what goes into tool command lines, so that a typo fails here and not deep in iproute2. */
final class Addresses {
    private static final Pattern IPV4 = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,23}");
    private static final Pattern RATE = Pattern.compile("\\d+(bit|kbit|mbit|gbit)");

    private Addresses() {
    }

    static String ipv4(String s) {
        var m = IPV4.matcher(s);
        if (!m.matches()) {
            throw new IllegalArgumentException("not an IPv4 address: " + s);
        }
        for (int i = 1; i <= 4; i++) {
            if (Integer.parseInt(m.group(i)) > 255) {
                throw new IllegalArgumentException("not an IPv4 address: " + s);
            }
        }
        return s;
    }

    static int prefixLength(String cidr) {
        int slash = cidr.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("not a CIDR (address/length): " + cidr);
        }
        ipv4(cidr.substring(0, slash));
        int len = Integer.parseInt(cidr.substring(slash + 1));
        if (len < 1 || len > 30) {
            throw new IllegalArgumentException("prefix length must be 1..30: " + cidr);
        }
        return len;
    }

    static String cidrOrAddress(String s) {
        if (s.contains("/")) {
            prefixLength(s);
            return s;
        }
        return ipv4(s);
    }

    static String name(String s) {
        if (!NAME.matcher(s).matches()) {
            throw new IllegalArgumentException("lab names are 1-24 of [a-z0-9-], starting alphanumeric: " + s);
        }
        return s;
    }

    static String logName(String s) {
        if (!s.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,63}")) {
            throw new IllegalArgumentException("process names are 1-64 of [A-Za-z0-9._-]: " + s);
        }
        return s;
    }

    static String rate(String s) {
        if (!RATE.matcher(s).matches()) {
            throw new IllegalArgumentException("rate like 200mbit expected: " + s);
        }
        return s;
    }

    /** The nft statement that drops {@code percent} % of what it sees (1..100; for none, remove the fault). */
    static String randomDrop(int percent) {
        if (percent < 1 || percent > 100) {
            throw new IllegalArgumentException("loss percent must be 1..100: " + percent);
        }
        return percent == 100 ? "drop" : "numgen random mod 100 < " + percent + " drop";
    }

    static String iface(String s) {
        if (!s.matches("[a-zA-Z0-9._-]{1,15}")) {
            throw new IllegalArgumentException("not an interface name: " + s);
        }
        return s;
    }
}
