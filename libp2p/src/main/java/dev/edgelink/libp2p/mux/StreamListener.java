package dev.edgelink.libp2p.mux;

import dev.edgelink.libp2p.Libp2pException;
import io.netty.buffer.ByteBuf;

/** Events of one {@link MuxedStream}, delivered on its event loop. */
public interface StreamListener {

    /** Bytes received. The listener owns {@code data} and must release it. */
    void onData(MuxedStream stream, ByteBuf data);

    /** The remote half-closed (FIN): no more data will arrive. */
    default void onRemoteClose(MuxedStream stream) {
    }

    /** The stream was reset by the remote or lost with its connection; {@code cause} says which. */
    default void onReset(MuxedStream stream, Libp2pException cause) {
    }

    /** {@link MuxedStream#isWritable()} changed. */
    default void onWritabilityChanged(MuxedStream stream) {
    }

    /**
     * {@code bytes} of what was {@link MuxedStream#write written} left the stream's queue for the connection (they
     * are in a frame now, no longer held by the stream). Lets a writer account, in bytes, memory it handed over.
     * Bytes dropped by a reset are not reported: a reset ends the stream's queue.
     */
    default void onSent(MuxedStream stream, int bytes) {
    }
}
