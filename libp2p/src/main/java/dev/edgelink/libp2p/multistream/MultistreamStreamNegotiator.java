package dev.edgelink.libp2p.multistream;

import dev.edgelink.libp2p.Libp2pException;
import dev.edgelink.libp2p.TransportException;
import dev.edgelink.libp2p.mux.MuxedStream;
import dev.edgelink.libp2p.mux.StreamListener;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * Runs multistream-select on a muxed stream. Installed as the stream's listener until a protocol is selected;
 * then hands the stream, the protocol and any bytes that followed the selection to {@link Outcome}.
 */
public final class MultistreamStreamNegotiator implements StreamListener {

    /** What became of the negotiation. Exactly one method is called, once. */
    public interface Outcome {
        /**
         * The protocol was selected; {@code leftover} (owned by the callee, maybe empty) came right after. The
         * stream has no listener by now: later bytes wait in the stream until the protocol's reader is set.
         */
        void selected(MuxedStream stream, String protocol, ByteBuf leftover);

        /** The negotiation failed; the stream has been reset. */
        void failed(MuxedStream stream, Libp2pException cause);
    }

    private final MultistreamNegotiation negotiation;
    private final Outcome outcome;
    private final int maxMessageLength;
    private ByteBuf cumulation = Unpooled.EMPTY_BUFFER;
    private boolean done;

    private MultistreamStreamNegotiator(MultistreamNegotiation negotiation, Outcome outcome, int maxMessageLength) {
        this.negotiation = negotiation;
        this.outcome = outcome;
        this.maxMessageLength = maxMessageLength;
    }

    /** Starts negotiating on {@code stream}: sends our opening and installs itself as the listener. */
    public static void start(MuxedStream stream, MultistreamNegotiation negotiation, Outcome outcome,
            int maxMessageLength) {
        MultistreamStreamNegotiator negotiator = new MultistreamStreamNegotiator(negotiation, outcome,
                maxMessageLength);
        stream.eventLoop().execute(() -> {
            // Our opening goes out before we look at anything the remote already sent, so that the answers the
            // remote's early bytes cause always follow it.
            stream.write(Unpooled.wrappedBuffer(negotiation.start()));
            stream.setListener(negotiator);
        });
    }

    @Override
    public void onData(MuxedStream stream, ByteBuf data) {
        if (done) {
            data.release();
            return;
        }
        if (cumulation.isReadable()) {
            cumulation = Unpooled.wrappedBuffer(cumulation, data);
        } else {
            release(); // fully read, but still holds its buffer
            cumulation = data;
        }
        try {
            String message;
            while ((message = MultistreamCodec.decode(cumulation, maxMessageLength)) != null) {
                byte[] answer = negotiation.onMessage(message);
                if (answer.length > 0) {
                    stream.write(Unpooled.wrappedBuffer(answer));
                }
                if (negotiation.state() == MultistreamNegotiation.State.SELECTED) {
                    done = true;
                    ByteBuf leftover = cumulation.readRetainedSlice(cumulation.readableBytes());
                    release();
                    // Bytes behind the selection stay with the stream until the protocol's reader takes over.
                    stream.setListener(null);
                    outcome.selected(stream, negotiation.selected(), leftover);
                    return;
                }
            }
            cumulation.discardSomeReadBytes();
        } catch (Libp2pException e) {
            fail(stream, e);
        }
    }

    @Override
    public void onRemoteClose(MuxedStream stream) {
        fail(stream, new TransportException("stream closed by the remote during protocol negotiation"));
    }

    @Override
    public void onReset(MuxedStream stream, Libp2pException cause) {
        fail(stream, cause);
    }

    private void fail(MuxedStream stream, Libp2pException cause) {
        if (done) {
            return;
        }
        done = true;
        release();
        stream.reset();
        outcome.failed(stream, cause);
    }

    private void release() {
        if (cumulation.refCnt() > 0 && cumulation != Unpooled.EMPTY_BUFFER) {
            cumulation.release();
        }
        cumulation = Unpooled.EMPTY_BUFFER;
    }
}
