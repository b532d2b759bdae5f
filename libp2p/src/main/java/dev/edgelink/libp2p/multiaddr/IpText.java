package dev.edgelink.libp2p.multiaddr;

/**
 * The canonical text of an IP address, as {@code /ip4} and {@code /ip6} values are written: dotted quad, and IPv6
 * as RFC 5952 recommends (lower case, no leading zeros, the longest run of two or more zero groups, the first if
 * tied, as {@code ::}). Pure; other modules that print addresses the same way (node records) use it too.
 */
public final class IpText {
    private IpText() {
    }

    /**
     * {@code 10.1.0.5} for 4 bytes, {@code fd00::5} for 16.
     *
     * @throws IllegalArgumentException when {@code address} has neither 4 nor 16 bytes
     */
    public static String format(byte[] address) {
        if (address.length == 4) {
            return (address[0] & 0xff) + "." + (address[1] & 0xff) + "." + (address[2] & 0xff) + "."
                    + (address[3] & 0xff);
        }
        if (address.length != 16) {
            throw new IllegalArgumentException("an IP address has 4 or 16 bytes, got " + address.length);
        }
        return formatIp6(address);
    }

    private static String formatIp6(byte[] v) {
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = ((v[2 * i] & 0xff) << 8) | (v[2 * i + 1] & 0xff);
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
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                out.append("::");
                i += bestLength - 1;
                continue;
            }
            if (out.length() > 0 && out.charAt(out.length() - 1) != ':') {
                out.append(':');
            }
            out.append(Integer.toHexString(groups[i]));
        }
        return out.toString();
    }
}
