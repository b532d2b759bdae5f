package dev.edgelink.dataplane.netlink;

import java.util.Arrays;
import java.util.HexFormat;

/** A 48-bit Ethernet address (VTEP MACs, neighbour and FDB entries). Immutable. */
public final class MacAddress {
    public static final int LENGTH = 6;
    /** All zeros: in a VXLAN FDB, the default destination used for broadcast and unknown unicast. */
    public static final MacAddress ZERO = new MacAddress(new byte[LENGTH]);

    private final byte[] bytes;

    private MacAddress(byte[] bytes) {
        this.bytes = bytes;
    }

    /** From six bytes; throws {@link IllegalArgumentException} on any other length. */
    public static MacAddress of(byte[] bytes) {
        if (bytes.length != LENGTH) {
            throw new IllegalArgumentException("a MAC address has 6 bytes, got " + bytes.length);
        }
        return new MacAddress(bytes.clone());
    }

    /** From {@code "02:00:00:00:00:01"}. */
    public static MacAddress parse(String text) {
        String[] parts = text.split(":");
        if (parts.length != LENGTH) {
            throw new IllegalArgumentException("not a MAC address: " + text);
        }
        byte[] b = new byte[LENGTH];
        for (int i = 0; i < LENGTH; i++) {
            if (parts[i].length() != 2) {
                throw new IllegalArgumentException("not a MAC address: " + text);
            }
            b[i] = (byte) HexFormat.fromHexDigits(parts[i]);
        }
        return new MacAddress(b);
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

    @Override
    public String toString() {
        return HexFormat.ofDelimiter(":").formatHex(bytes);
    }
}
