package dev.edgelink.discovery.internal.members;

import dev.edgelink.libp2p.Libp2pException;
import dev.edgelink.libp2p.ProtocolViolationException;
import dev.edgelink.libp2p.TransportException;
import dev.edgelink.libp2p.mux.MuxedStream;
import dev.edgelink.libp2p.mux.StreamListener;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import java.util.concurrent.CompletableFuture;

/**
 * Runs one {@link PushPullSession} over one stream: frames in, session steps, frames out. Every callback runs on
 * the stream's event loop. A reply waits until the records of the message it answers are verified (the remote
 * sends nothing in between: the turns alternate), which paces a remote to our verification. The result completes
 * when the session is done and what it received is offered (with the records received and sent), or fails with
 * the cause: a protocol violation or a limit resets the stream, so does {@link #abort}.
 */
public final class ExchangeStream implements StreamListener {

    /** How an exchange ended. */
    public record Result(int received, int sent) {
    }

    private final PushPullSession session;
    private final CompletableFuture<Result> result = new CompletableFuture<>();
    private final CompositeByteBuf buffer = ByteBufAllocator.DEFAULT.compositeBuffer(Integer.MAX_VALUE);
    private MuxedStream stream;
    /** Our reply waits for the verification of what the remote sent: nothing may arrive meanwhile. */
    private boolean replyPending;
    private volatile long bytesIn;
    private volatile long bytesOut;
    private volatile int messages;

    private ExchangeStream(PushPullSession session) {
        this.session = session;
    }

    /** Starts the session on {@code stream}: sends the first message if we initiate, then listens. */
    public static ExchangeStream run(MuxedStream stream, PushPullSession session) {
        ExchangeStream handler = new ExchangeStream(session);
        handler.stream = stream;
        Runnable begin = () -> {
            stream.setListener(handler);
            if (session.role() == PushPullSession.Role.INITIATOR) {
                handler.send(session.start());
            }
        };
        // A protocol handler must set its listener before it returns, so run at once when on the event loop.
        if (stream.eventLoop().inEventLoop()) {
            begin.run();
        } else {
            stream.eventLoop().execute(begin);
        }
        return handler;
    }

    public CompletableFuture<Result> result() {
        return result;
    }

    /** Messages received and sent so far: whether the exchange moves. */
    public int messages() {
        return messages;
    }

    /** Bytes of members frames received; read it once the result is complete. */
    public long bytesIn() {
        return bytesIn;
    }

    /** Bytes of members frames sent; read it once the result is complete. */
    public long bytesOut() {
        return bytesOut;
    }

    /** Gives up (e.g. on timeout): resets the stream and fails the result with {@code cause}. */
    public void abort(Libp2pException cause) {
        stream.eventLoop().execute(() -> fail(cause));
    }

    @Override
    public void onData(MuxedStream s, ByteBuf data) {
        if (result.isDone()) {
            data.release();
            return;
        }
        bytesIn += data.readableBytes();
        buffer.addComponent(true, data);
        if (replyPending) {
            fail(new ProtocolViolationException("members: the remote sent again before our reply"));
            return;
        }
        try {
            Exchange message = MembersCodec.decode(buffer, session.limits());
            if (message == null) {
                return;
            }
            if (buffer.isReadable()) {
                throw new ProtocolViolationException("members: the remote sent again before our reply");
            }
            buffer.discardReadComponents();
            messages++;
            PushPullSession.Step step = session.onMessage(message);
            if (step.offered().isDone()) {
                proceed(step);
            } else {
                replyPending = true;
                step.offered().whenComplete((v, e) -> stream.eventLoop().execute(() -> {
                    replyPending = false;
                    proceed(step);
                }));
            }
        } catch (ProtocolViolationException e) {
            fail(e);
        }
    }

    private void proceed(PushPullSession.Step step) {
        if (result.isDone()) {
            return;
        }
        step.reply().ifPresent(this::send);
        if (step.done()) {
            stream.closeWrite();
            release();
            result.complete(new Result(session.received(), session.sent()));
        }
    }

    @Override
    public void onRemoteClose(MuxedStream s) {
        if (!result.isDone() && session.state() != PushPullSession.State.DONE) {
            fail(new ProtocolViolationException("members: stream closed in state " + session.state()));
        }
    }

    @Override
    public void onReset(MuxedStream s, Libp2pException cause) {
        if (!result.isDone()) {
            release();
            result.completeExceptionally(cause != null ? cause : new TransportException("members: stream reset"));
        }
    }

    private void send(Exchange message) {
        byte[] frame = MembersCodec.encode(message);
        bytesOut += frame.length;
        messages++;
        stream.write(Unpooled.wrappedBuffer(frame));
    }

    private void fail(Libp2pException cause) {
        if (result.isDone()) {
            return;
        }
        release();
        stream.reset();
        result.completeExceptionally(cause);
    }

    private void release() {
        if (buffer.refCnt() > 0) {
            buffer.release();
        }
    }
}
