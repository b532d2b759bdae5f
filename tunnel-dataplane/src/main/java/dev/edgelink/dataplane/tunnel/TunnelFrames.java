package dev.edgelink.dataplane.tunnel;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;

/**
 * The pure codec of {@code /edgelink/tunnel/1.0.0}: bytes to frames and back, no I/O, no logging; it throws
 * {@link TunnelProtocolException}. One long-lived stream per pair of nodes carries a sequence of frames:
 *
 * <pre>
 *  0               1               2               3
 * +---------------+-----------------------------------------------+
 * |     type      |            payload length (u24, BE)           |
 * +---------------+-----------------------------------------------+
 * |                    payload (length bytes) ...                 |
 * +---------------------------------------------------------------+
 *
 * HELLO (1), first frame each side sends, exactly once:
 * +---------+------------+-----------+-----------+----------------+
 * | version | mtu (u16)  | features  | name len  | node name UTF-8|
 * |  (u8)=1 |            |   (u8)    |   (u8)    |                |
 * +---------+------------+-----------+-----------+----------------+
 * PACKET (2):       one IPv4 or IPv6 packet, at most the MTU the receiver announced
 * PACKET_GSO (3):   struct virtio_net_hdr (10 bytes, little-endian) + one IP packet of up to 65535 bytes; only
 *                   to a peer whose HELLO had {@link #FEATURE_GSO}
 * PING (4), PONG (5): a u64 token; PONG echoes the token of a PING
 * </pre>
 *
 * Several frames travel in one stream write (batching); a frame may straddle writes. Every other type, a length
 * past the limit, an IP packet whose own length disagrees with the frame's, or a second HELLO is an error.
 */
public final class TunnelFrames {
    /** The libp2p protocol id. */
    public static final String PROTOCOL = "/edgelink/tunnel/1.0.0";
    public static final int VERSION = 1;
    public static final int HEADER = 4;
    public static final int HELLO = 1;
    public static final int PACKET = 2;
    public static final int PACKET_GSO = 3;
    public static final int PING = 4;
    public static final int PONG = 5;
    /** HELLO feature bit: this side accepts {@link #PACKET_GSO} frames. */
    public static final int FEATURE_GSO = 1;
    /** Largest payload of {@link #PACKET_GSO}: a virtio header and a 64 KiB IP packet. */
    public static final int MAX_GSO_PAYLOAD = 10 + 65535;
    static final int MAX_HELLO = 5 + 255;
    static final int MIN_MTU = 576;

    private TunnelFrames() {
    }

    /** What a peer said in its HELLO. */
    public record Hello(int version, int mtu, int features, String nodeName) {
        public boolean gso() {
            return (features & FEATURE_GSO) != 0;
        }
    }

    /** Receives decoded frames. Packet payloads are slices of the input, valid during the call only. */
    public interface Sink {
        void hello(Hello hello);

        void packet(ByteBuf packet, boolean gso);

        void ping(long token);

        void pong(long token);
    }

    /** Writes a frame header for {@code type} with {@code length} bytes of payload at {@code index}. */
    public static void setHeader(ByteBuf buf, int index, int type, int length) {
        buf.setInt(index, (type << 24) | length);
    }

    public static ByteBuf writeHello(ByteBuf out, Hello hello) {
        byte[] name = hello.nodeName().getBytes(StandardCharsets.UTF_8);
        if (name.length == 0 || name.length > 255) {
            throw new IllegalArgumentException("node name must be 1..255 bytes: " + hello.nodeName());
        }
        out.writeInt((HELLO << 24) | (5 + name.length));
        out.writeByte(hello.version()).writeShort(hello.mtu()).writeByte(hello.features()).writeByte(name.length);
        return out.writeBytes(name);
    }

    /** Writes a PING or PONG. */
    public static ByteBuf writeToken(ByteBuf out, int type, long token) {
        return out.writeInt((type << 24) | 8).writeLong(token);
    }

    /**
     * Decodes every complete frame in {@code in} into {@code sink} and leaves an incomplete one unread.
     *
     * @param maxPacket the MTU we announced: the largest {@link #PACKET} we accept
     * @param gso whether we announced {@link #FEATURE_GSO}
     * @throws TunnelProtocolException on the first malformed frame (frames before it were delivered)
     */
    public static void decode(ByteBuf in, int maxPacket, boolean gso, Sink sink) {
        while (in.readableBytes() >= HEADER) {
            int start = in.readerIndex();
            int word = in.getInt(start);
            int type = word >>> 24;
            int length = word & 0xFFFFFF;
            checkLength(type, length, maxPacket, gso);
            if (in.readableBytes() < HEADER + length) {
                return;
            }
            int payload = start + HEADER;
            in.readerIndex(payload + length);
            switch (type) {
                case HELLO -> sink.hello(hello(in, payload, length));
                case PACKET -> sink.packet(ipPacket(in, payload, length), false);
                case PACKET_GSO -> sink.packet(gsoPacket(in, payload, length), true);
                case PING -> sink.ping(in.getLong(payload));
                default -> sink.pong(in.getLong(payload));
            }
        }
    }

    private static void checkLength(int type, int length, int maxPacket, boolean gso) {
        int max;
        switch (type) {
            case HELLO -> max = MAX_HELLO;
            case PACKET -> max = maxPacket;
            case PACKET_GSO -> {
                if (!gso) {
                    throw new TunnelProtocolException("GSO packet frame, but we did not offer GSO");
                }
                max = MAX_GSO_PAYLOAD;
            }
            case PING, PONG -> {
                if (length != 8) {
                    throw new TunnelProtocolException("ping/pong frame of " + length + " bytes, expected 8");
                }
                return;
            }
            default -> throw new TunnelProtocolException("unknown frame type " + type);
        }
        if (length > max) {
            throw new TunnelProtocolException("frame type " + type + " of " + length + " bytes, limit " + max);
        }
    }

    private static Hello hello(ByteBuf in, int at, int length) {
        if (length < 6) {
            throw new TunnelProtocolException("hello of " + length + " bytes is too short");
        }
        int version = in.getUnsignedByte(at);
        int mtu = in.getUnsignedShort(at + 1);
        int features = in.getUnsignedByte(at + 3);
        int nameLength = in.getUnsignedByte(at + 4);
        if (nameLength == 0 || 5 + nameLength != length) {
            throw new TunnelProtocolException("hello name length " + nameLength + " disagrees with frame length "
                    + length);
        }
        if (mtu < MIN_MTU) {
            throw new TunnelProtocolException("hello announces MTU " + mtu + ", below " + MIN_MTU);
        }
        return new Hello(version, mtu, features, in.toString(at + 5, nameLength, StandardCharsets.UTF_8));
    }

    private static ByteBuf ipPacket(ByteBuf in, int at, int length) {
        int own = ipLength(in, at, length);
        if (own != length) {
            throw new TunnelProtocolException("IP packet says " + own + " bytes, frame carries " + length);
        }
        return in.slice(at, length);
    }

    private static ByteBuf gsoPacket(ByteBuf in, int at, int length) {
        if (length < 10 + 20) {
            throw new TunnelProtocolException("GSO packet frame of " + length + " bytes is too short");
        }
        int own = ipLength(in, at + 10, length - 10);
        if (own != length - 10) {
            throw new TunnelProtocolException("GSO IP packet says " + own + " bytes, frame carries " + (length - 10));
        }
        return in.slice(at, length);
    }

    /** The length an IP packet gives itself; throws if it is neither IPv4 nor IPv6 or shorter than its header. */
    static int ipLength(ByteBuf in, int at, int length) {
        if (length < 20) {
            throw new TunnelProtocolException("packet of " + length + " bytes is shorter than an IP header");
        }
        int version = in.getUnsignedByte(at) >>> 4;
        if (version == 4) {
            return in.getUnsignedShort(at + 2);
        }
        if (version == 6 && length >= 40) {
            return 40 + in.getUnsignedShort(at + 4);
        }
        throw new TunnelProtocolException("packet is not IPv4 or IPv6 (version nibble " + version + ", "
                + length + " bytes)");
    }
}
