package dev.edgelink.libp2p.mux;

import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;

/**
 * One bidirectional, flow-controlled byte stream of a {@link StreamMuxer}.
 *
 * <p>Ownership: {@link #write(ByteBuf)} takes ownership of the buffer (it is released even when the write
 * fails); {@link StreamListener#onData} hands ownership to the listener.
 *
 * <p>Back-pressure, outbound: writes never block. Bytes the remote's window does not admit yet, or that the
 * connection cannot take because the socket is not writable, are queued in the stream. When that queue grows
 * beyond the high-water mark {@link #isWritable()} turns false and the listener is told; a writer that respects
 * it (as every handler in this project does) never queues more than a bounded amount. A writer that ignores
 * it and passes the hard queue limit gets the stream reset with a {@code LimitExceededException}.
 *
 * <p>Back-pressure, inbound: with {@link #setAutoRead(boolean) autoRead} off, received bytes are kept in the
 * stream and no window credit is returned, so the remote stops after one receive window; turning it back on
 * delivers what was kept and returns the credit.
 *
 * <p>Threading: any method may be called from any thread; listener callbacks run on {@link #eventLoop()}.
 */
public interface MuxedStream {

    /** The stream id on the wire. */
    long id();

    /** True when this side opened the stream. */
    boolean isOutbound();

    StreamMuxer muxer();

    EventLoop eventLoop();

    /**
     * Sets who receives this stream's events. Data that arrived before a listener was set is kept (within the
     * receive window) and delivered to the new listener first; a listener may be replaced at any time, e.g.
     * when protocol negotiation hands the stream to the protocol's handler.
     */
    void setListener(StreamListener listener);

    /** Queues bytes for sending. After {@link #closeWrite()} or a reset the buffer is released and dropped. */
    void write(ByteBuf data);

    /** False while queued outbound bytes are above the high-water mark. */
    boolean isWritable();

    /**
     * Makes what the stream holds on its receiving side a charge on {@code budget}: the larger of its receive
     * window's growth beyond the muxer's initial window and the bytes it keeps while reading is paused (or no
     * listener is set). The window grows only while the budget takes the growth under its soft limit. Kept bytes
     * arrived within a window already granted and may use the budget's headroom; a stream whose kept bytes do not
     * fit under the limit itself is reset ({@code LimitExceededException} naming the budget). Bytes are given back
     * as they go to the listener (before it sees them), the rest when the stream ends. So a stream that receives
     * nothing costs the budget nothing, and the budget bounds what the remotes of many such streams can make us
     * hold (a relay's circuits). Call once, early; muxers without per-stream windows ignore it.
     */
    default void chargeReceiveWindow(ByteBudget budget) {
    }

    /** Pauses (false) or resumes (true) delivery of inbound data. Default: on. */
    void setAutoRead(boolean autoRead);

    /** Half-closes: sends FIN after everything queued. Reading continues until the remote closes too. */
    void closeWrite();

    /** Aborts the stream in both directions (RST); queued bytes are dropped. */
    void reset();

    /** True once both directions are closed or the stream was reset. */
    boolean isClosed();
}
