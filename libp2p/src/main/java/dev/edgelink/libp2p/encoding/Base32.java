package dev.edgelink.libp2p.encoding;

import dev.edgelink.libp2p.ConfigurationException;
import java.util.Arrays;

/**
 * Base32 of RFC 4648 in lowercase without padding: the multibase {@code 'b'} encoding, in which CIDv1 peer ids are
 * written ({@code bafz...}).
 *
 * <p>Every 5 input bytes become 8 characters of 5 bits each, most significant bit first; a final partial group is
 * written with as few characters as carry its bits and its spare low bits set to zero. Decoding is strict: it
 * accepts lowercase only (uppercase is a different multibase, {@code 'B'}), no padding, no impossible lengths
 * (1, 3 or 6 characters past a whole group) and no non-zero spare bits, so every byte string has exactly one text
 * form.
 */
public final class Base32 {

    private static final char[] ALPHABET = "abcdefghijklmnopqrstuvwxyz234567".toCharArray();
    private static final int[] INDEXES = new int[128];

    static {
        Arrays.fill(INDEXES, -1);
        for (int i = 0; i < ALPHABET.length; i++) {
            INDEXES[ALPHABET[i]] = i;
        }
    }

    private Base32() {
    }

    /** Encodes {@code data} in lowercase without padding. */
    public static String encode(byte[] data) {
        StringBuilder out = new StringBuilder((data.length * 8 + 4) / 5);
        int buffer = 0;
        int bits = 0;
        for (byte b : data) {
            buffer = (buffer << 8) | (b & 0xff);
            bits += 8;
            while (bits >= 5) {
                bits -= 5;
                out.append(ALPHABET[(buffer >>> bits) & 0x1f]);
            }
        }
        if (bits > 0) {
            out.append(ALPHABET[(buffer << (5 - bits)) & 0x1f]);
        }
        return out.toString();
    }

    /**
     * Decodes lowercase unpadded base32.
     *
     * @throws ConfigurationException if a character is outside the alphabet, the length cannot come from whole
     *     bytes, or the unused trailing bits are not zero
     */
    public static byte[] decode(String text) {
        int tail = text.length() % 8;
        if (tail == 1 || tail == 3 || tail == 6) {
            throw new ConfigurationException("invalid base32 length " + text.length()
                    + ": no byte string encodes to that many characters");
        }
        byte[] out = new byte[text.length() * 5 / 8];
        int buffer = 0;
        int bits = 0;
        int pos = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            int digit = c < 128 ? INDEXES[c] : -1;
            if (digit < 0) {
                throw new ConfigurationException("invalid base32 character '" + c + "' at position " + i
                        + " (expected lowercase a-z or 2-7, no padding)");
            }
            buffer = (buffer << 5) | digit;
            bits += 5;
            if (bits >= 8) {
                bits -= 8;
                out[pos++] = (byte) (buffer >>> bits);
            }
        }
        if ((buffer & ((1 << bits) - 1)) != 0) {
            throw new ConfigurationException("invalid base32: non-zero bits after the last byte");
        }
        return out;
    }
}
