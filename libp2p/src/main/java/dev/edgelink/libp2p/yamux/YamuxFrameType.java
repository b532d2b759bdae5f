package dev.edgelink.libp2p.yamux;

import dev.edgelink.libp2p.ProtocolViolationException;

/** The type byte of a yamux header. */
public enum YamuxFrameType {
    /** Payload bytes for one stream; the length field is the payload length. */
    DATA(0),
    /** Credit for one stream; the length field is the window delta. Also carries SYN/ACK/FIN/RST alone. */
    WINDOW_UPDATE(1),
    /** Session keep-alive and RTT probe (stream 0); the length field is an opaque value echoed back. */
    PING(2),
    /** Session shutdown notice (stream 0); the length field is a {@link GoAwayCode}. */
    GO_AWAY(3);

    private final int code;

    YamuxFrameType(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** Maps a wire type byte; anything else is a protocol violation. */
    public static YamuxFrameType fromCode(int code) {
        switch (code) {
            case 0:
                return DATA;
            case 1:
                return WINDOW_UPDATE;
            case 2:
                return PING;
            case 3:
                return GO_AWAY;
            default:
                throw new ProtocolViolationException("yamux frame type " + code + " is unknown (0..3 are defined)");
        }
    }
}
