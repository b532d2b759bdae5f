package dev.edgelink.dataplane.internal.netlink.codec;

import dev.edgelink.dataplane.netlink.MalformedMessageException;
import dev.edgelink.net.MacAddress;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * The attributes ({@code struct rtattr}, see {@link MessageWriter}) of one message or one nest, by type. The
 * NLA_F_NESTED and NLA_F_NET_BYTEORDER bits are masked off; when a type repeats, the last one wins (rtnetlink does
 * not repeat the attributes we read). Accessors check the value's length and throw
 * {@link MalformedMessageException} on a mismatch.
 */
public final class Attributes {
    private final Map<Integer, ByteBuffer> values = new HashMap<>();

    private Attributes() {
    }

    /** Parses attributes from the buffer's position to its limit. */
    public static Attributes parse(ByteBuffer region) {
        ByteBuffer b = region.duplicate().order(NetlinkHeader.ORDER);
        Attributes out = new Attributes();
        while (b.remaining() >= 4) {
            int pos = b.position();
            int len = b.getShort(pos) & 0xffff;
            int type = b.getShort(pos + 2) & Rtnl.NLA_TYPE_MASK;
            if (len < 4 || len > b.remaining()) {
                throw new MalformedMessageException("attribute type " + type + " has rta_len " + len + " with "
                        + b.remaining() + " bytes left");
            }
            out.values.put(type, b.slice(pos + 4, len - 4).order(NetlinkHeader.ORDER));
            b.position(Math.min(pos + NetlinkHeader.align(len), b.limit()));
        }
        if (b.hasRemaining()) {
            throw new MalformedMessageException(b.remaining() + " stray bytes after the last attribute");
        }
        return out;
    }

    public boolean has(int type) {
        return values.containsKey(type);
    }

    /** The raw value, or {@code null}. */
    public ByteBuffer raw(int type) {
        ByteBuffer v = values.get(type);
        return v == null ? null : v.duplicate().order(NetlinkHeader.ORDER);
    }

    /** A nest, or {@code null}. */
    public Attributes nested(int type) {
        ByteBuffer v = raw(type);
        return v == null ? null : parse(v);
    }

    public Integer u8(int type) {
        ByteBuffer v = sized(type, 1);
        return v == null ? null : v.get(0) & 0xff;
    }

    public Integer u32(int type) {
        ByteBuffer v = sized(type, 4);
        return v == null ? null : v.getInt(0);
    }

    public Integer be16(int type) {
        ByteBuffer v = sized(type, 2);
        return v == null ? null : ((v.get(0) & 0xff) << 8) | (v.get(1) & 0xff);
    }

    /** A string up to its first NUL (or the end). */
    public String string(int type) {
        ByteBuffer v = raw(type);
        if (v == null) {
            return null;
        }
        byte[] b = new byte[v.remaining()];
        v.get(b);
        int end = 0;
        while (end < b.length && b[end] != 0) {
            end++;
        }
        return new String(b, 0, end, StandardCharsets.UTF_8);
    }

    public byte[] bytes(int type) {
        ByteBuffer v = raw(type);
        if (v == null) {
            return null;
        }
        byte[] b = new byte[v.remaining()];
        v.get(b);
        return b;
    }

    /** A 4- or 16-byte address, or {@code null}. */
    public InetAddress address(int type) {
        byte[] b = bytes(type);
        if (b == null) {
            return null;
        }
        if (b.length != 4 && b.length != 16) {
            throw new MalformedMessageException("attribute type " + type + " is not an IP address: " + b.length
                    + " bytes");
        }
        try {
            return InetAddress.getByAddress(b);
        } catch (UnknownHostException e) {
            throw new MalformedMessageException("attribute type " + type + ": " + e.getMessage());
        }
    }

    /** An IPv4 address, or {@code null} if absent or 0.0.0.0 (the kernel's "none"). */
    public Inet4Address ipv4OrNull(int type) {
        ByteBuffer v = sized(type, 4);
        if (v == null || v.getInt(0) == 0) {
            return null;
        }
        return (Inet4Address) address(type);
    }

    /** A 6-byte hardware address; {@code null} if absent or of another length (e.g. a tunnel's 4-byte one). */
    public MacAddress mac(int type) {
        byte[] b = bytes(type);
        return b == null || b.length != MacAddress.LENGTH ? null : MacAddress.fromBytes(b);
    }

    private ByteBuffer sized(int type, int size) {
        ByteBuffer v = raw(type);
        if (v != null && v.remaining() != size) {
            throw new MalformedMessageException("attribute type " + type + " should have " + size + " bytes, has "
                    + v.remaining());
        }
        return v;
    }
}
