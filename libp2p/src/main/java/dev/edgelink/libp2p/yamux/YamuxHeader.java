package dev.edgelink.libp2p.yamux;

/**
 * One decoded yamux header. For {@link YamuxFrameType#DATA} frames {@code length} payload bytes follow on the
 * wire; every other type is the header alone. See {@link YamuxCodec} for the layout.
 *
 * @param type the frame type
 * @param flags bit set of {@link YamuxFlags}
 * @param streamId 0 for PING/GO_AWAY, otherwise the stream (unsigned 32 bit)
 * @param length payload length, window delta, ping opaque value or go-away code (unsigned 32 bit)
 */
public record YamuxHeader(YamuxFrameType type, int flags, long streamId, long length) {

    /** Largest value of the 32-bit unsigned stream id and length fields. */
    public static final long MAX_UINT32 = 0xFFFF_FFFFL;

    public YamuxHeader {
        if (type == null) {
            throw new IllegalArgumentException("type is required");
        }
        if (flags < 0 || flags > 0xFFFF) {
            throw new IllegalArgumentException("flags must fit 16 bits: " + flags);
        }
        if (streamId < 0 || streamId > MAX_UINT32) {
            throw new IllegalArgumentException("stream id must fit 32 bits unsigned: " + streamId);
        }
        if (length < 0 || length > MAX_UINT32) {
            throw new IllegalArgumentException("length must fit 32 bits unsigned: " + length);
        }
    }

    public static YamuxHeader data(int flags, long streamId, long length) {
        return new YamuxHeader(YamuxFrameType.DATA, flags, streamId, length);
    }

    public static YamuxHeader windowUpdate(int flags, long streamId, long delta) {
        return new YamuxHeader(YamuxFrameType.WINDOW_UPDATE, flags, streamId, delta);
    }

    public static YamuxHeader ping(int flags, long opaque) {
        return new YamuxHeader(YamuxFrameType.PING, flags, 0, opaque);
    }

    public static YamuxHeader goAway(GoAwayCode code) {
        return new YamuxHeader(YamuxFrameType.GO_AWAY, 0, 0, code.code());
    }

    public boolean has(int flag) {
        return YamuxFlags.has(flags, flag);
    }

    @Override
    public String toString() {
        return type + "[flags=" + YamuxFlags.describe(flags) + " stream=" + streamId + " length=" + length + "]";
    }
}
