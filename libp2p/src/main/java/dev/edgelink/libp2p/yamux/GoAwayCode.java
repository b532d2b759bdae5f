package dev.edgelink.libp2p.yamux;

import dev.edgelink.libp2p.Libp2pException;
import dev.edgelink.libp2p.ProtocolViolationException;

/**
 * The error code in the length field of a GO_AWAY frame. This is the one place where our exception kinds map to
 * wire codes and back.
 */
public enum GoAwayCode {
    NORMAL(0),
    PROTOCOL_ERROR(1),
    INTERNAL_ERROR(2);

    private final long code;

    GoAwayCode(long code) {
        this.code = code;
    }

    public long code() {
        return code;
    }

    /** The code a session sends when it closes because of {@code cause} ({@code null}: a normal close). */
    public static GoAwayCode forCause(Libp2pException cause) {
        if (cause == null) {
            return NORMAL;
        }
        return cause instanceof ProtocolViolationException ? PROTOCOL_ERROR : INTERNAL_ERROR;
    }

    /** Maps a received code; an unknown code is reported as {@code null} and treated like an internal error. */
    public static GoAwayCode fromCode(long code) {
        for (GoAwayCode c : values()) {
            if (c.code == code) {
                return c;
            }
        }
        return null;
    }
}
