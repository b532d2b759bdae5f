package dev.edgelink.libp2p.encoding;

import dev.edgelink.libp2p.ConfigurationException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Locale;

/**
 * Multibase text: one prefix character naming the base, then the data in that base. Only the bases libp2p text
 * uses are read: {@code b}/{@code B} base32 (CIDv1 peer ids), {@code z} base58btc, {@code f} base16 and
 * {@code u} base64url (certificate hashes).
 */
public final class Multibase {

    private Multibase() {
    }

    /**
     * Decodes multibase text.
     *
     * @throws ConfigurationException if the prefix is unknown or the data is not valid in the named base
     */
    public static byte[] decode(String text) {
        if (text.isEmpty()) {
            throw new ConfigurationException("empty multibase text");
        }
        String rest = text.substring(1);
        char prefix = text.charAt(0);
        switch (prefix) {
            case 'b':
                return Base32.decode(rest);
            case 'B':
                if (!rest.equals(rest.toUpperCase(Locale.ROOT))) {
                    throw new ConfigurationException("multibase 'B' (base32 upper) has lowercase characters");
                }
                return Base32.decode(rest.toLowerCase(Locale.ROOT));
            case 'z':
                return Base58.decode(rest);
            case 'f':
                return decodeWith(rest, "base16", () -> HexFormat.of().parseHex(rest));
            case 'u':
                return decodeWith(rest, "base64url", () -> Base64.getUrlDecoder().decode(rest));
            default:
                throw new ConfigurationException("unknown multibase prefix '" + prefix + "'");
        }
    }

    /** base32 lowercase with its {@code b} prefix. */
    public static String encodeBase32(byte[] data) {
        return "b" + Base32.encode(data);
    }

    /** base64url without padding with its {@code u} prefix. */
    public static String encodeBase64Url(byte[] data) {
        return "u" + Base64.getUrlEncoder().withoutPadding().encodeToString(data);
    }

    private interface Decoder {
        byte[] decode();
    }

    private static byte[] decodeWith(String rest, String base, Decoder decoder) {
        if (base.equals("base64url") && rest.indexOf('=') >= 0) {
            throw new ConfigurationException("invalid base64url: multibase 'u' has no padding");
        }
        try {
            return decoder.decode();
        } catch (IllegalArgumentException e) {
            throw new ConfigurationException("invalid " + base + ": " + e.getMessage(), e);
        }
    }
}
