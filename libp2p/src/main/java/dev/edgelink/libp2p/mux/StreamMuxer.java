package dev.edgelink.libp2p.mux;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * A stream multiplexer session over one secured connection (yamux is the implementation).
 *
 * <p>Threading: every method may be called from any thread; work is done on {@link #eventLoop()}, and every
 * callback to a {@link StreamListener} or to the inbound handler runs on that event loop.
 */
public interface StreamMuxer {

    /** The muxer's protocol id as negotiated by multistream-select, e.g. {@code /yamux/1.0.0}. */
    String protocolId();

    /**
     * Opens an outbound stream. Completes once the stream exists locally (yamux needs no round trip);
     * fails with {@code LimitExceededException} when the stream limit is reached and with
     * {@code TransportException} when the session is closed or going away.
     */
    CompletableFuture<MuxedStream> openStream();

    /** Sends a muxer-level ping and completes with the round-trip time. */
    CompletableFuture<Duration> ping();

    /** Streams open right now, in both directions. */
    int activeStreams();

    /** Tells the remote that no new streams will be accepted; existing streams run to completion. */
    void goAway();

    /** Resets every stream and closes the underlying connection. */
    void close();

    /** Completes when the session is closed, for whatever reason. */
    Future<?> closeFuture();

    EventLoop eventLoop();
}
