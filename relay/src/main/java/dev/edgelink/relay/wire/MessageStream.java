package dev.edgelink.relay.wire;

import dev.edgelink.libp2p.Libp2pException;
import dev.edgelink.libp2p.ProtocolViolationException;
import dev.edgelink.libp2p.TransportException;
import dev.edgelink.libp2p.mux.MuxedStream;
import dev.edgelink.libp2p.mux.StreamListener;
import io.netty.buffer.ByteBuf;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A stream of length-prefixed messages for request/response protocols: {@link #read(Duration)} hands out the
 * next message (one reader at a time), {@link #write(byte[])} frames and sends one. A message above the limit,
 * a malformed prefix, or a read that times out resets the stream; every pending and later read then fails
 * with the cause. Messages may arrive before anyone reads: they are kept in order.
 */
public final class MessageStream implements StreamListener {

    private final MuxedStream stream;
    private final FrameDecoder decoder;
    private final ScheduledExecutorService scheduler;
    private final Deque<byte[]> ready = new ArrayDeque<>();
    private CompletableFuture<byte[]> waiting;
    private Libp2pException failure;

    private MessageStream(MuxedStream stream, int maxMessage, ScheduledExecutorService scheduler) {
        this.stream = stream;
        this.decoder = new FrameDecoder(maxMessage);
        this.scheduler = scheduler;
    }

    /** Takes over {@code stream}'s events (bytes already received are delivered first). */
    public static MessageStream attach(MuxedStream stream, int maxMessage, ScheduledExecutorService scheduler) {
        MessageStream messages = new MessageStream(stream, maxMessage, scheduler);
        stream.setListener(messages);
        return messages;
    }

    public MuxedStream stream() {
        return stream;
    }

    /** The next message, or a failure: the stream ended or was reset, the limit was broken, or the timeout. */
    public CompletableFuture<byte[]> read(Duration timeout) {
        CompletableFuture<byte[]> result = new CompletableFuture<>();
        synchronized (this) {
            if (waiting != null && !waiting.isDone()) {
                throw new IllegalStateException("one read at a time");
            }
            if (!ready.isEmpty()) {
                result.complete(ready.poll());
                return result;
            }
            if (failure != null) {
                result.completeExceptionally(failure);
                return result;
            }
            waiting = result;
        }
        ScheduledFuture<?> timer = scheduler.schedule(() -> fail(new TransportException("no message within "
                + timeout.toMillis() + " ms on " + stream)), timeout.toNanos(), TimeUnit.NANOSECONDS);
        result.whenComplete((m, e) -> timer.cancel(false));
        return result;
    }

    public void write(byte[] message) {
        stream.write(FrameDecoder.frame(message));
    }

    public void closeWrite() {
        stream.closeWrite();
    }

    /** Resets the stream and fails reads (used on a protocol error found by the caller). */
    public void reset(Libp2pException cause) {
        fail(cause);
    }

    @Override
    public void onData(MuxedStream s, ByteBuf data) {
        synchronized (this) {
            if (failure != null) {
                data.release();
                return;
            }
        }
        try {
            for (byte[] message : decoder.feed(data)) {
                deliver(message);
            }
        } catch (ProtocolViolationException e) {
            fail(e);
        }
    }

    private void deliver(byte[] message) {
        CompletableFuture<byte[]> target;
        synchronized (this) {
            target = waiting != null && !waiting.isDone() ? waiting : null;
            waiting = null;
            if (target == null) {
                ready.add(message);
                return;
            }
        }
        target.complete(message);
    }

    @Override
    public void onRemoteClose(MuxedStream s) {
        end(new ProtocolViolationException("stream closed by the remote before the next message"), false);
    }

    @Override
    public void onReset(MuxedStream s, Libp2pException cause) {
        end(cause != null ? cause : new TransportException("stream reset"), false);
    }

    private void fail(Libp2pException cause) {
        end(cause, true);
    }

    private void end(Libp2pException cause, boolean reset) {
        CompletableFuture<byte[]> target;
        synchronized (this) {
            if (failure != null) {
                return;
            }
            failure = cause;
            target = waiting;
            waiting = null;
        }
        stream.eventLoop().execute(decoder::close);
        if (reset) {
            stream.reset();
        }
        if (target != null) {
            target.completeExceptionally(cause);
        }
    }
}
