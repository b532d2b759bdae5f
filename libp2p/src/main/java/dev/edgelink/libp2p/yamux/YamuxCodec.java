package dev.edgelink.libp2p.yamux;

import dev.edgelink.libp2p.LimitExceededException;
import dev.edgelink.libp2p.ProtocolViolationException;
import io.netty.buffer.ByteBuf;

/**
 * Pure encoding and decoding of the 12-byte yamux header (hashicorp/yamux spec.md, libp2p/specs yamux). No I/O,
 * no state, no logging: malformed input throws.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +---------------+---------------+-------------------------------+
 * |  Version (0)  |     Type      |             Flags             |
 * +---------------+---------------+-------------------------------+
 * |                           Stream ID                           |
 * +---------------------------------------------------------------+
 * |                            Length                             |
 * +---------------------------------------------------------------+
 * |          Payload (DATA only, Length bytes) ...                |
 * +---------------------------------------------------------------+
 *
 *  all fields big endian, Stream ID and Length unsigned
 *  Type   0 DATA  1 WINDOW_UPDATE  2 PING  3 GO_AWAY
 *  Flags  0x1 SYN  0x2 ACK  0x4 FIN  0x8 RST
 *  Length DATA: payload bytes; WINDOW_UPDATE: window delta;
 *         PING: opaque value echoed back; GO_AWAY: 0 normal, 1 protocol error, 2 internal error
 * </pre>
 */
public final class YamuxCodec {
    /** Size of every header on the wire. */
    public static final int HEADER_LENGTH = 12;
    /** The only version defined. */
    public static final int VERSION = 0;

    private YamuxCodec() {
    }

    /** Appends the 12 header bytes of {@code header} to {@code out}. */
    public static void encode(YamuxHeader header, ByteBuf out) {
        out.writeByte(VERSION);
        out.writeByte(header.type().code());
        out.writeShort(header.flags());
        out.writeInt((int) header.streamId());
        out.writeInt((int) header.length());
    }

    /**
     * Decodes one header from the reader index of {@code in}, or returns {@code null} without consuming anything
     * when fewer than 12 bytes are readable. The payload of a DATA frame is left in {@code in}.
     *
     * @param maxDataLength the largest DATA payload accepted (the {@code maxInboundFrameSize} setting)
     * @throws ProtocolViolationException on a version other than 0 or an unknown type
     * @throws LimitExceededException on a DATA frame longer than {@code maxDataLength}; nothing is consumed then
     */
    public static YamuxHeader decode(ByteBuf in, long maxDataLength) {
        if (in.readableBytes() < HEADER_LENGTH) {
            return null;
        }
        int at = in.readerIndex();
        int version = in.getUnsignedByte(at);
        if (version != VERSION) {
            throw new ProtocolViolationException("yamux version " + version + " is not supported (only 0 is)");
        }
        YamuxFrameType type = YamuxFrameType.fromCode(in.getUnsignedByte(at + 1));
        int flags = in.getUnsignedShort(at + 2);
        long streamId = in.getUnsignedInt(at + 4);
        long length = in.getUnsignedInt(at + 8);
        if (type == YamuxFrameType.DATA && length > maxDataLength) {
            throw new LimitExceededException("yamux.maxInboundFrameSize", maxDataLength, length);
        }
        in.skipBytes(HEADER_LENGTH);
        return new YamuxHeader(type, flags, streamId, length);
    }
}
