package dev.edgelink.dataplane.path.probe;

import java.nio.ByteBuffer;

/**
 * The path probe's one message, a UDP payload of 16 bytes, big-endian:
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +---------------+---------------+---------------+---------------+
 * |   'E' (0x45)  |   'L' (0x4c)  |   'P' (0x50)  |  version = 1  |
 * +---------------+---------------+---------------+---------------+
 * |   type: 0 request, 1 reply    |         reserved, 0           |
 * +-------------------------------+-------------------------------+
 * |                         nonce (64 bits)                       |
 * |                                                               |
 * +---------------------------------------------------------------+
 * </pre>
 *
 * The responder answers a request with the same bytes and type 1; it never answers a reply, so two responders
 * cannot bounce packets between them. The nonce ties an echo to its probe. Pure codec: no I/O, throws
 * {@link IllegalArgumentException} on anything else.
 */
public record ProbePacket(boolean reply, long nonce) {
    public static final int LENGTH = 16;
    static final int MAGIC = 0x454c5001;

    public byte[] encode() {
        return ByteBuffer.allocate(LENGTH).putInt(MAGIC).putShort((short) (reply ? 1 : 0)).putShort((short) 0)
                .putLong(nonce).array();
    }

    /** Decodes exactly {@link #LENGTH} bytes. */
    public static ProbePacket decode(ByteBuffer bytes) {
        if (bytes.remaining() != LENGTH) {
            throw new IllegalArgumentException("a probe is " + LENGTH + " bytes, got " + bytes.remaining());
        }
        int magic = bytes.getInt();
        if (magic != MAGIC) {
            throw new IllegalArgumentException(String.format("not an edgelink probe v1 (magic %08x)", magic));
        }
        int type = bytes.getShort() & 0xffff;
        int reserved = bytes.getShort() & 0xffff;
        if (type > 1 || reserved != 0) {
            throw new IllegalArgumentException("bad probe type " + type + " or reserved " + reserved);
        }
        return new ProbePacket(type == 1, bytes.getLong());
    }

    public ProbePacket asReply() {
        return new ProbePacket(true, nonce);
    }
}
