package dev.edgelink.libp2p.yamux;

import java.util.StringJoiner;

/** The flag bits of a yamux header (a 16-bit field). Unknown bits are kept but carry no meaning. */
public final class YamuxFlags {
    /** Opens a stream (DATA/WINDOW_UPDATE) or marks a ping request. */
    public static final int SYN = 0x1;
    /** Accepts a stream (DATA/WINDOW_UPDATE) or marks a ping response. */
    public static final int ACK = 0x2;
    /** Half-closes the sender's direction of a stream. */
    public static final int FIN = 0x4;
    /** Aborts a stream in both directions. */
    public static final int RST = 0x8;

    private YamuxFlags() {
    }

    public static boolean has(int flags, int flag) {
        return (flags & flag) == flag;
    }

    /** For messages and logs, e.g. {@code SYN|FIN}, {@code 0} when no bit is set. */
    public static String describe(int flags) {
        if (flags == 0) {
            return "0";
        }
        StringJoiner j = new StringJoiner("|");
        String[] names = {"SYN", "ACK", "FIN", "RST"};
        for (int bit = 0; bit < names.length; bit++) {
            if ((flags & (1 << bit)) != 0) {
                j.add(names[bit]);
            }
        }
        int unknown = flags & ~0xF;
        if (unknown != 0) {
            j.add("0x" + Integer.toHexString(unknown));
        }
        return j.toString();
    }
}
