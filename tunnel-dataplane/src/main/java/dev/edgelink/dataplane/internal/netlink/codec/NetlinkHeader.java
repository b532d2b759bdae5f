package dev.edgelink.dataplane.internal.netlink.codec;

import dev.edgelink.dataplane.netlink.MalformedMessageException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code struct nlmsghdr}, the 16-byte header of every netlink message. Integers are in host byte order; each
 * message starts on a 4-byte boundary within a datagram.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                 nlmsg_len (header + payload)                  |
 * +-------------------------------+-------------------------------+
 * |          nlmsg_type           |          nlmsg_flags          |
 * +-------------------------------+-------------------------------+
 * |                          nlmsg_seq                            |
 * +---------------------------------------------------------------+
 * |                  nlmsg_pid (sender port id)                   |
 * +---------------------------------------------------------------+
 * |                 payload (nlmsg_len - 16 bytes)                | padded to 4
 * </pre>
 */
public record NetlinkHeader(int length, int type, int flags, int seq, int pid) {
    public static final int SIZE = 16;
    static final ByteOrder ORDER = ByteOrder.nativeOrder();

    /** One message of a datagram: its header and a read-only view of its payload (native order). */
    public record Message(NetlinkHeader header, ByteBuffer payload) {
    }

    /** Reads a header at the buffer's position without moving it. */
    public static NetlinkHeader peek(ByteBuffer buf) {
        if (buf.remaining() < SIZE) {
            throw new MalformedMessageException("netlink header needs 16 bytes, " + buf.remaining() + " left");
        }
        ByteBuffer b = buf.duplicate().order(ORDER);
        int p = b.position();
        return new NetlinkHeader(b.getInt(p), b.getShort(p + 4) & 0xffff, b.getShort(p + 6) & 0xffff,
                b.getInt(p + 8), b.getInt(p + 12));
    }

    /** Splits a received datagram into its messages; throws if any length is inconsistent. */
    public static List<Message> split(ByteBuffer datagram) {
        ByteBuffer buf = datagram.duplicate().order(ORDER);
        List<Message> out = new ArrayList<>();
        while (buf.remaining() >= SIZE) {
            NetlinkHeader h = peek(buf);
            if (h.length < SIZE || h.length > buf.remaining()) {
                throw new MalformedMessageException("nlmsg_len " + Integer.toUnsignedString(h.length)
                        + " does not fit the " + buf.remaining() + " bytes left in the datagram");
            }
            ByteBuffer payload = buf.slice(buf.position() + SIZE, h.length - SIZE).order(ORDER).asReadOnlyBuffer();
            out.add(new Message(h, payload.order(ORDER)));
            buf.position(buf.position() + Math.min(align(h.length), buf.remaining()));
        }
        if (buf.hasRemaining()) {
            throw new MalformedMessageException(buf.remaining() + " trailing bytes after the last netlink message");
        }
        return out;
    }

    /** Rounds up to the netlink alignment of 4 bytes. */
    public static int align(int length) {
        return (length + 3) & ~3;
    }
}
