package dev.edgelink.libp2p.encoding;

import dev.edgelink.libp2p.LimitExceededException;
import dev.edgelink.libp2p.ProtocolViolationException;
import io.netty.buffer.ByteBuf;

/**
 * The multiformats unsigned varint (unsigned LEB128), used for every length prefix and code in libp2p.
 *
 * <pre>
 *   byte 0            byte 1                  byte n-1
 *  +-+-------------+ +-+-------------+       +-+-------------+
 *  |1| bits 0..6   | |1| bits 7..13  |  ...  |0| top bits    |
 *  +-+-------------+ +-+-------------+       +-+-------------+
 *   ^ continuation bit: 1 = another byte follows, 0 = last byte
 * </pre>
 *
 * <p>The spec caps a varint at 63 bits, which is {@value #MAX_BYTES} bytes, so a value always fits a non-negative
 * {@code long}. Decoding is strict, as the spec requires: a varint that is longer than {@value #MAX_BYTES} bytes or
 * that is not minimal (its last byte is zero, e.g. {@code 81 00} for 1) is a protocol violation. Accepting
 * non-minimal forms would give one value several encodings, and some of our callers compare encodings.
 *
 * <p>Pure codec: no state, no I/O. Negative values are a programming error on our side
 * ({@link IllegalArgumentException}); bad bytes from a peer are a {@link ProtocolViolationException}.
 */
public final class Varint {

    /** Longest varint the spec allows: 9 bytes carry 63 bits. */
    public static final int MAX_BYTES = 9;

    /** Returned by {@link #read(ByteBuf)} when the buffer does not yet hold a whole varint. */
    public static final long INCOMPLETE = -1;

    private Varint() {
    }

    /** A decoded value and the number of bytes its encoding took. */
    public record Decoded(long value, int length) {
    }

    /** Number of bytes {@code value} takes when encoded. */
    public static int encodedLength(long value) {
        requireNonNegative(value);
        int length = 1;
        for (long rest = value >>> 7; rest != 0; rest >>>= 7) {
            length++;
        }
        return length;
    }

    /** Encodes {@code value} (0 to {@link Long#MAX_VALUE}) in its minimal form. */
    public static byte[] encode(long value) {
        byte[] out = new byte[encodedLength(value)];
        write(value, out, 0);
        return out;
    }

    /**
     * Writes {@code value} into {@code dst} at {@code offset}.
     *
     * @return the offset just past the written bytes
     */
    public static int write(long value, byte[] dst, int offset) {
        requireNonNegative(value);
        long rest = value;
        int pos = offset;
        while (rest >= 0x80) {
            dst[pos++] = (byte) (rest | 0x80);
            rest >>>= 7;
        }
        dst[pos++] = (byte) rest;
        return pos;
    }

    /** Appends {@code value} to {@code out}. */
    public static void write(long value, ByteBuf out) {
        requireNonNegative(value);
        long rest = value;
        while (rest >= 0x80) {
            out.writeByte((int) (rest | 0x80));
            rest >>>= 7;
        }
        out.writeByte((int) rest);
    }

    /**
     * Decodes the varint that starts at {@code offset}.
     *
     * @throws ProtocolViolationException if it is truncated, longer than {@value #MAX_BYTES} bytes or not minimal
     */
    public static Decoded decode(byte[] src, int offset) {
        long value = 0;
        for (int i = 0; i < MAX_BYTES; i++) {
            if (offset + i >= src.length) {
                throw new ProtocolViolationException("truncated varint: input ends after " + i + " byte(s)");
            }
            int b = src[offset + i] & 0xff;
            value |= (long) (b & 0x7f) << (7 * i);
            if ((b & 0x80) == 0) {
                requireMinimal(b, i);
                return new Decoded(value, i + 1);
            }
        }
        throw overlong();
    }

    /**
     * Decodes a byte array that must hold exactly one varint and nothing else.
     *
     * @throws ProtocolViolationException if the varint is malformed or bytes follow it
     */
    public static long decodeExact(byte[] src) {
        Decoded decoded = decode(src, 0);
        if (decoded.length() != src.length) {
            throw new ProtocolViolationException(
                    "trailing bytes after varint: " + (src.length - decoded.length()) + " byte(s)");
        }
        return decoded.value();
    }

    /**
     * Reads a varint from a stream buffer. If the buffer ends before the varint does, returns {@link #INCOMPLETE}
     * and leaves the reader index where it was, so a stream decoder can wait for more bytes and call again.
     * On success the reader index moves past the varint.
     *
     * @throws ProtocolViolationException if the varint is longer than {@value #MAX_BYTES} bytes or not minimal;
     *     these are detected as soon as the offending byte has arrived
     */
    public static long read(ByteBuf in) {
        int start = in.readerIndex();
        int available = in.readableBytes();
        long value = 0;
        for (int i = 0; i < MAX_BYTES; i++) {
            if (i >= available) {
                return INCOMPLETE;
            }
            int b = in.getUnsignedByte(start + i);
            value |= (long) (b & 0x7f) << (7 * i);
            if ((b & 0x80) == 0) {
                requireMinimal(b, i);
                in.readerIndex(start + i + 1);
                return value;
            }
        }
        throw overlong();
    }

    private static void requireMinimal(int lastByte, int index) {
        // A zero final byte after at least one continuation byte adds nothing: the same value has a shorter form.
        if (lastByte == 0 && index > 0) {
            throw new ProtocolViolationException("non-minimal varint: " + (index + 1) + " bytes ending in 0x00");
        }
    }

    private static LimitExceededException overlong() {
        return new LimitExceededException("varint longer than " + MAX_BYTES + " bytes (63 bits)");
    }

    private static void requireNonNegative(long value) {
        if (value < 0) {
            throw new IllegalArgumentException("varint value must not be negative: " + value);
        }
    }
}
