package dev.edgelink.relay.circuit;

import dev.edgelink.libp2p.Libp2pException;
import dev.edgelink.libp2p.ProtocolViolationException;
import dev.edgelink.libp2p.TransportException;
import dev.edgelink.libp2p.mux.MuxedStream;
import dev.edgelink.libp2p.mux.StreamListener;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Reads length-prefixed relay messages from a stream, one at a time, each within a timeout (a peer that never
 * sends is dropped). When the exchange is over, {@link #detach()} hands over the bytes that came behind the last
 * message (they already belong to the relayed connection) and pauses the stream until its next owner reads.
 *
 * <p>Runs on the stream's event loop: futures complete there, and {@link #next()} and {@link #detach()} must be
 * called there (which is where continuations of those futures run).
 */
final class MessageReader implements StreamListener {

    private final MuxedStream stream;
    private final Duration timeout;
    private final CompositeByteBuf buffer = ByteBufAllocator.DEFAULT.compositeBuffer();
    private CompletableFuture<byte[]> pending;
    private ScheduledFuture<?> timer;
    private Libp2pException ended;
    private boolean detached;

    MessageReader(MuxedStream stream, Duration timeout) {
        this.stream = stream;
        this.timeout = timeout;
        stream.setListener(this);
    }

    /** The next message's body; fails on timeout, a malformed or oversized frame, or the stream's end. */
    CompletableFuture<byte[]> next() {
        CompletableFuture<byte[]> result = new CompletableFuture<>();
        if (ended != null) {
            result.completeExceptionally(ended);
            return result;
        }
        pending = result;
        timer = stream.eventLoop().schedule(() -> fail(new TransportException("no relay message within "
                + timeout.toMillis() + " ms")), timeout.toMillis(), TimeUnit.MILLISECONDS);
        deliver();
        return result;
    }

    /** Stops reading messages: returns the bytes received beyond them and pauses the stream. */
    ByteBuf detach() {
        boolean failed = ended != null;
        detached = true;
        stream.setAutoRead(false);
        if (failed) {
            return Unpooled.EMPTY_BUFFER;
        }
        if (!buffer.isReadable()) {
            buffer.release();
            return Unpooled.EMPTY_BUFFER;
        }
        return buffer;
    }

    @Override
    public void onData(MuxedStream s, ByteBuf data) {
        if (detached || ended != null) {
            data.release();
            return;
        }
        buffer.addComponent(true, data);
        deliver();
    }

    private void deliver() {
        if (pending == null) {
            return;
        }
        byte[] body;
        try {
            body = CircuitCodec.nextBody(buffer);
        } catch (ProtocolViolationException e) {
            fail(e);
            return;
        }
        if (body != null) {
            buffer.discardReadComponents();
            CompletableFuture<byte[]> done = pending;
            pending = null;
            timer.cancel(false);
            done.complete(body);
        }
    }

    @Override
    public void onRemoteClose(MuxedStream s) {
        fail(new TransportException("stream closed before the relay message"));
    }

    @Override
    public void onReset(MuxedStream s, Libp2pException cause) {
        fail(cause != null ? cause : new TransportException("stream reset"));
    }

    private void fail(Libp2pException cause) {
        if (ended == null && !detached) {
            ended = cause;
            buffer.release();
        }
        if (pending != null) {
            CompletableFuture<byte[]> done = pending;
            pending = null;
            timer.cancel(false);
            done.completeExceptionally(cause);
        }
    }
}
