package dev.edgelink.libp2p.encoding;

import dev.edgelink.libp2p.ConfigurationException;
import java.util.Arrays;

/**
 * Base58 with the bitcoin alphabet ({@code base58btc}), the text form of peer ids ({@code 12D3KooW...},
 * {@code Qm...}).
 *
 * <p>The input bytes are read as one big-endian number and written in base 58; each leading zero byte becomes a
 * leading {@code '1'}, so the encoding is reversible. There is no padding and no checksum.
 *
 * <p>Base58 strings reach us as text from users and configuration, so a malformed one is a
 * {@link ConfigurationException} whose message names the offending character and its position.
 */
public final class Base58 {

    private static final char[] ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz".toCharArray();
    private static final int[] INDEXES = new int[128];

    static {
        Arrays.fill(INDEXES, -1);
        for (int i = 0; i < ALPHABET.length; i++) {
            INDEXES[ALPHABET[i]] = i;
        }
    }

    private Base58() {
    }

    /** Encodes {@code data}; an empty array encodes to the empty string. */
    public static String encode(byte[] data) {
        int zeros = 0;
        while (zeros < data.length && data[zeros] == 0) {
            zeros++;
        }
        // log(256) / log(58) < 1.37: enough digits for any input.
        byte[] digits = new byte[(data.length - zeros) * 137 / 100 + 1];
        int used = 0;
        for (int i = zeros; i < data.length; i++) {
            int carry = data[i] & 0xff;
            for (int j = 0; j < used; j++) {
                carry += (digits[j] & 0xff) << 8;
                digits[j] = (byte) (carry % 58);
                carry /= 58;
            }
            while (carry > 0) {
                digits[used++] = (byte) (carry % 58);
                carry /= 58;
            }
        }
        StringBuilder out = new StringBuilder(zeros + used);
        for (int i = 0; i < zeros; i++) {
            out.append('1');
        }
        for (int i = used - 1; i >= 0; i--) {
            out.append(ALPHABET[digits[i]]);
        }
        return out.toString();
    }

    /**
     * Decodes base58btc text.
     *
     * @throws ConfigurationException if a character is not in the bitcoin alphabet (e.g. {@code 0}, {@code O},
     *     {@code I}, {@code l})
     */
    public static byte[] decode(String text) {
        int zeros = 0;
        while (zeros < text.length() && text.charAt(zeros) == '1') {
            zeros++;
        }
        // log(58) / log(256) < 0.733: enough bytes for any input.
        byte[] bytes = new byte[(text.length() - zeros) * 733 / 1000 + 1];
        int used = 0;
        for (int i = zeros; i < text.length(); i++) {
            int carry = digit(text, i);
            for (int j = 0; j < used; j++) {
                carry += (bytes[j] & 0xff) * 58;
                bytes[j] = (byte) carry;
                carry >>>= 8;
            }
            while (carry > 0) {
                bytes[used++] = (byte) carry;
                carry >>>= 8;
            }
        }
        byte[] out = new byte[zeros + used];
        for (int i = 0; i < used; i++) {
            out[out.length - 1 - i] = bytes[i];
        }
        return out;
    }

    private static int digit(String text, int index) {
        char c = text.charAt(index);
        int digit = c < 128 ? INDEXES[c] : -1;
        if (digit < 0) {
            throw new ConfigurationException("invalid base58btc character '" + c + "' at position " + index
                    + " (the bitcoin alphabet has no 0, O, I or l)");
        }
        return digit;
    }
}
