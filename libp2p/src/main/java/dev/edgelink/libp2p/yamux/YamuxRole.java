package dev.edgelink.libp2p.yamux;

/**
 * Which end of the connection a session is. The dialer is the client and opens odd stream ids, the listener is
 * the server and opens even ones, so the two ends never pick the same id.
 */
public enum YamuxRole {
    CLIENT(1),
    SERVER(2);

    private final long firstStreamId;

    YamuxRole(long firstStreamId) {
        this.firstStreamId = firstStreamId;
    }

    /** The first id this side opens; later ones follow in steps of two. */
    public long firstStreamId() {
        return firstStreamId;
    }

    /** True when {@code streamId} is one that this side opens. */
    public boolean opens(long streamId) {
        return (streamId & 1) == (firstStreamId & 1);
    }
}
