package dev.edgelink.libp2p.host;

import dev.edgelink.libp2p.Libp2pException;
import dev.edgelink.libp2p.multiaddr.Multiaddr;
import dev.edgelink.libp2p.mux.MuxedStream;
import dev.edgelink.libp2p.mux.StreamListener;
import io.netty.buffer.ByteBuf;
import io.netty.channel.AbstractChannel;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelMetadata;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPromise;
import io.netty.channel.DefaultChannelConfig;
import io.netty.channel.EventLoop;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A Netty channel whose bytes travel on a muxed stream: the carrier of a relayed connection. The stream (to a
 * circuit relay, after CONNECT or STOP succeeded) is on one connection; this channel runs the full upgrade
 * pipeline of another connection (pnet, multistream, noise, yamux) on top of it, so a relayed connection is
 * built by the same code as a TCP one.
 *
 * <p>Why a channel of its own and not a {@code LocalChannel} pair or an {@code EmbeddedChannel}: it runs on the
 * stream's event loop, so a byte goes from the stream's listener straight into the pipeline (no queue, no copy,
 * no thread hop), timers of the upgrade and of yamux work as on TCP, and back-pressure maps one to one: outbound
 * bytes stay in the channel's outbound buffer (its water marks drive {@code isWritable()}) while the stream is
 * not writable, and turning the channel's auto-read off pauses the stream, which withholds window credit from
 * the relay.
 *
 * <p>Closing the channel half-closes the stream (so the last frames, e.g. a yamux go-away, still arrive) and
 * resets it if the remote has not closed its side within {@link #LINGER}. The remote's close or a reset of the
 * stream closes the channel.
 */
final class StreamChannel extends AbstractChannel {

    /** How long a closed channel waits for the remote to close the stream before resetting it. */
    static final Duration LINGER = Duration.ofSeconds(5);

    private static final ChannelMetadata METADATA = new ChannelMetadata(false);

    private final MuxedStream stream;
    private final ChannelConfig config;
    private final CircuitSocketAddress local;
    private final CircuitSocketAddress remote;
    private ByteBuf first;
    private boolean listening;
    private volatile boolean open = true;

    /**
     * @param first bytes the stream delivered before this channel took it over (e.g. read together with the
     *     relay's answer); owned by this channel
     */
    StreamChannel(MuxedStream stream, ByteBuf first, Multiaddr localAddress, Multiaddr remoteAddress) {
        super(null);
        this.stream = stream;
        this.first = first != null && first.isReadable() ? first : null;
        if (this.first == null && first != null) {
            first.release();
        }
        this.local = new CircuitSocketAddress(localAddress);
        this.remote = new CircuitSocketAddress(remoteAddress);
        this.config = new DefaultChannelConfig(this) {
            @Override
            protected void autoReadCleared() {
                stream.setAutoRead(false);
            }
        };
    }

    /** A relayed connection's address, as a SocketAddress for Netty. */
    static final class CircuitSocketAddress extends SocketAddress {
        private static final long serialVersionUID = 1L;
        private final String multiaddr;

        CircuitSocketAddress(Multiaddr multiaddr) {
            this.multiaddr = multiaddr.toString();
        }

        @Override
        public String toString() {
            return multiaddr;
        }
    }

    @Override
    protected AbstractUnsafe newUnsafe() {
        return new AbstractUnsafe() {
            @Override
            public void connect(SocketAddress remoteAddress, SocketAddress localAddress, ChannelPromise promise) {
                promise.setFailure(new UnsupportedOperationException("a stream channel is connected when made"));
            }
        };
    }

    @Override
    protected boolean isCompatible(EventLoop loop) {
        return loop == stream.eventLoop();
    }

    @Override
    protected SocketAddress localAddress0() {
        return local;
    }

    @Override
    protected SocketAddress remoteAddress0() {
        return remote;
    }

    @Override
    protected void doBind(SocketAddress localAddress) {
        throw new UnsupportedOperationException("a stream channel cannot be bound");
    }

    @Override
    protected void doDisconnect() {
        doClose();
    }

    @Override
    protected void doClose() {
        if (!open) {
            return;
        }
        open = false;
        releaseFirst();
        if (stream.isClosed()) {
            return;
        }
        stream.closeWrite();
        stream.eventLoop().schedule(() -> {
            if (!stream.isClosed()) {
                stream.reset();
            }
        }, LINGER.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void releaseFirst() {
        if (first != null) {
            first.release();
            first = null;
        }
    }

    @Override
    protected void doBeginRead() {
        if (!open) {
            return;
        }
        if (listening) {
            stream.setAutoRead(true);
            return;
        }
        listening = true;
        ByteBuf pending = first;
        first = null;
        if (pending != null) {
            pipeline().fireChannelRead(pending);
            pipeline().fireChannelReadComplete();
        }
        stream.setListener(new Bridge());
        stream.setAutoRead(true); // the stream's previous reader may have paused it to hand it over intact
    }

    @Override
    protected void doWrite(ChannelOutboundBuffer in) {
        while (true) {
            Object msg = in.current();
            if (msg == null) {
                return;
            }
            if (!open || stream.isClosed()) {
                in.remove(new java.nio.channels.ClosedChannelException());
                continue;
            }
            if (!stream.isWritable()) {
                return; // resumed by Bridge.onWritabilityChanged
            }
            stream.write(((ByteBuf) msg).retain());
            in.remove();
        }
    }

    @Override
    protected Object filterOutboundMessage(Object msg) {
        if (msg instanceof ByteBuf) {
            return msg;
        }
        throw new UnsupportedOperationException("a stream channel carries only ByteBuf, not "
                + msg.getClass().getSimpleName());
    }

    @Override
    public ChannelConfig config() {
        return config;
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public boolean isActive() {
        return open;
    }

    @Override
    public ChannelMetadata metadata() {
        return METADATA;
    }

    /** Stream events into the pipeline. */
    private final class Bridge implements StreamListener {
        @Override
        public void onData(MuxedStream s, ByteBuf data) {
            if (!open) {
                data.release();
                return;
            }
            pipeline().fireChannelRead(data);
            pipeline().fireChannelReadComplete();
        }

        @Override
        public void onRemoteClose(MuxedStream s) {
            unsafe().close(voidPromise());
        }

        @Override
        public void onReset(MuxedStream s, Libp2pException cause) {
            unsafe().close(voidPromise());
        }

        @Override
        public void onWritabilityChanged(MuxedStream s) {
            if (open && s.isWritable()) {
                unsafe().flush();
            }
        }
    }
}
