package dev.edgelink.dataplane.internal.netlink.codec;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Builds one netlink request: the header, the fixed family struct, then attributes ({@code struct rtattr}),
 * possibly nested. Lengths are filled in by {@link #endNested} and {@link #finish}.
 *
 * <pre>
 * struct rtattr (attribute header, then value padded to 4):
 * +-------------------------------+-------------------------------+
 * |   rta_len (4 + value bytes)   |   rta_type (| NLA_F_NESTED)   |
 * +-------------------------------+-------------------------------+
 * |        value ... | pad to 4   |
 * </pre>
 */
public final class MessageWriter {
    private ByteBuffer buf = ByteBuffer.allocate(256).order(NetlinkHeader.ORDER);

    /** Starts a message; {@code nlmsg_pid} is 0 (to the kernel). */
    public MessageWriter(int type, int flags, int seq) {
        buf.putInt(0).putShort((short) type).putShort((short) flags).putInt(seq).putInt(0);
    }

    public MessageWriter u8(int v) {
        ensure(1).put((byte) v);
        return this;
    }

    public MessageWriter u16(int v) {
        ensure(2).putShort((short) v);
        return this;
    }

    public MessageWriter u32(int v) {
        ensure(4).putInt(v);
        return this;
    }

    public MessageWriter attr(int type, byte[] value) {
        ensure(NetlinkHeader.align(4 + value.length));
        buf.putShort((short) (4 + value.length)).putShort((short) type).put(value);
        pad();
        return this;
    }

    public MessageWriter attrU8(int type, int v) {
        return attr(type, new byte[] {(byte) v});
    }

    public MessageWriter attrU32(int type, int v) {
        return attr(type, ByteBuffer.allocate(4).order(NetlinkHeader.ORDER).putInt(v).array());
    }

    /** A u16 in network byte order (e.g. {@code IFLA_VXLAN_PORT}). */
    public MessageWriter attrBe16(int type, int v) {
        return attr(type, new byte[] {(byte) (v >> 8), (byte) v});
    }

    /** A NUL-terminated string. */
    public MessageWriter attrString(int type, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return attr(type, Arrays.copyOf(b, b.length + 1));
    }

    public MessageWriter attrAddress(int type, InetAddress a) {
        return attr(type, a.getAddress());
    }

    /** Opens a nested attribute; pass the returned mark to {@link #endNested}. No NLA_F_NESTED, as iproute2. */
    public int beginNested(int type) {
        int mark = ensure(4).position();
        buf.putShort((short) 0).putShort((short) type);
        return mark;
    }

    public MessageWriter endNested(int mark) {
        buf.putShort(mark, (short) (buf.position() - mark));
        return this;
    }

    /** The finished message with {@code nlmsg_len} set. */
    public byte[] finish() {
        buf.putInt(0, buf.position());
        return Arrays.copyOf(buf.array(), buf.position());
    }

    private void pad() {
        while ((buf.position() & 3) != 0) {
            buf.put((byte) 0);
        }
    }

    private ByteBuffer ensure(int n) {
        if (buf.remaining() < n + 4) {
            ByteBuffer bigger = ByteBuffer.allocate(Math.max(buf.capacity() * 2, buf.position() + n + 4))
                    .order(NetlinkHeader.ORDER);
            bigger.put(buf.array(), 0, buf.position());
            buf = bigger;
        }
        return buf;
    }
}
