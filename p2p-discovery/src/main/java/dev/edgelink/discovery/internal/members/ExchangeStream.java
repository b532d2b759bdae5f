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
 * the stream's event loop. The result completes when the session is done (with the number of records received
 * and sent), or fails with the cause: a protocol violation or a limit resets the stream, so does {@link #abort}.
 */
public final class ExchangeStream implements StreamListener {

    /** How an exchange ended. */
    public record Result(int received, int sent) {
    }

    private final PushPullSession session;
    private final MembersCodec.Limits limits;
    private final CompletableFuture<Result> result = new CompletableFuture<>();
    private final CompositeByteBuf buffer = ByteBufAllocator.DEFAULT.compositeBuffer(Integer.MAX_VALUE);
    private MuxedStream stream;

    private ExchangeStream(PushPullSession session, MembersCodec.Limits limits) {
        this.session = session;
        this.limits = limits;
    }

    /** Starts the session on {@code stream}: sends the first message if we initiate, then listens. */
    public static ExchangeStream run(MuxedStream stream, PushPullSession session, MembersCodec.Limits limits) {
        ExchangeStream handler = new ExchangeStream(session, limits);
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
        buffer.addComponent(true, data);
        try {
            for (Exchange message = MembersCodec.decode(buffer, limits); message != null;
                    message = MembersCodec.decode(buffer, limits)) {
                PushPullSession.Step step = session.onMessage(message);
                step.reply().ifPresent(this::send);
                if (step.closeWrite()) {
                    stream.closeWrite();
                }
                if (session.state() == PushPullSession.State.DONE) {
                    finish();
                    return;
                }
            }
            buffer.discardReadComponents();
        } catch (ProtocolViolationException e) {
            fail(e);
        }
    }

    @Override
    public void onRemoteClose(MuxedStream s) {
        if (!result.isDone()) {
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
        stream.write(Unpooled.wrappedBuffer(MembersCodec.encode(message)));
    }

    private void finish() {
        release();
        result.complete(new Result(session.received(), session.sent()));
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
