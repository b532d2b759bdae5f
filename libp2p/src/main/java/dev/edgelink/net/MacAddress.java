package dev.edgelink.net;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * A 48-bit Ethernet address, written {@code 02:42:ac:11:00:02}: a node's VTEP MAC as announced in its record and
 * set on its VXLAN device, neighbour and FDB entries, a pod's interface. Immutable.
 *
 * <p>It lives in the libp2p module, next to {@link IpPrefix}, because that is the one module every other builds
 * on, so discovery and the data plane share one type instead of converting through text.
 */
public final class MacAddress {
    public static final int LENGTH = 6;
    /** All zeros: in a VXLAN FDB, the default destination used for broadcast and unknown unicast. */
    public static final MacAddress ZERO = new MacAddress(new byte[LENGTH]);

    private static final Pattern FORMAT = Pattern.compile("[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}");
    private static final HexFormat HEX = HexFormat.ofDelimiter(":");

    private final byte[] bytes;

    private MacAddress(byte[] bytes) {
        this.bytes = bytes;
    }

    /** From six bytes; throws {@link IllegalArgumentException} on any other length. */
    public static MacAddress fromBytes(byte[] bytes) {
        if (bytes.length != LENGTH) {
            throw new IllegalArgumentException("a MAC address has 6 bytes, got " + bytes.length);
        }
        return new MacAddress(bytes.clone());
    }

    /** From six hex pairs separated by colons, in either case: {@code "02:42:AC:11:00:02"}. */
    public static MacAddress parse(String text) {
        if (!FORMAT.matcher(text).matches()) {
            throw new IllegalArgumentException("invalid MAC address '" + text + "' (expected 6 hex pairs like "
                    + "02:42:ac:11:00:02)");
        }
        return new MacAddress(HEX.parseHex(text));
    }

    public byte[] toBytes() {
        return bytes.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MacAddress && Arrays.equals(bytes, ((MacAddress) o).bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    /** Lower case, as {@link #parse} reads it back. */
    @Override
    public String toString() {
        return HEX.formatHex(bytes);
    }
}
