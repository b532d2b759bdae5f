package dev.edgelink.discovery;

import java.util.HexFormat;
import java.util.Locale;
import java.util.regex.Pattern;

/** A 48-bit MAC address (a node's VTEP MAC), written {@code 02:42:ac:11:00:02}. */
public record MacAddress(String text) {

    public static final int BYTES = 6;
    private static final Pattern FORMAT = Pattern.compile("[0-9a-f]{2}(:[0-9a-f]{2}){5}");

    public MacAddress {
        text = text.toLowerCase(Locale.ROOT);
        if (!FORMAT.matcher(text).matches()) {
            throw new IllegalArgumentException("invalid MAC address '" + text + "' (expected 6 hex pairs like "
                    + "02:42:ac:11:00:02)");
        }
    }

    public static MacAddress parse(String text) {
        return new MacAddress(text);
    }

    public static MacAddress fromBytes(byte[] bytes) {
        if (bytes.length != BYTES) {
            throw new IllegalArgumentException("a MAC address has 6 bytes, got " + bytes.length);
        }
        return new MacAddress(HexFormat.ofDelimiter(":").formatHex(bytes));
    }

    public byte[] toBytes() {
        return HexFormat.ofDelimiter(":").parseHex(text);
    }

    @Override
    public String toString() {
        return text;
    }
}
