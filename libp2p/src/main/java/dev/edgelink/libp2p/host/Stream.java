package dev.edgelink.libp2p.host;

import dev.edgelink.libp2p.mux.MuxedStream;
import dev.edgelink.libp2p.mux.StreamListener;
import dev.edgelink.libp2p.mux.StreamMuxer;
import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;

/**
 * A muxed stream after protocol negotiation: it knows its protocol and its connection. Bytes the remote sent
 * right behind the negotiation are delivered to the first listener before anything else.
 */
public final class Stream implements MuxedStream {

    private final MuxedStream raw;
    private final Connection connection;
    private final String protocol;
    private ByteBuf leftover;

    Stream(MuxedStream raw, Connection connection, String protocol, ByteBuf leftover) {
        this.raw = raw;
        this.connection = connection;
        this.protocol = protocol;
        this.leftover = leftover.isReadable() ? leftover : null;
        if (this.leftover == null) {
            leftover.release();
        }
    }

    public Connection connection() {
        return connection;
    }

    /** The protocol negotiated for this stream. */
    public String protocol() {
        return protocol;
    }

    @Override
    public void setListener(StreamListener listener) {
        if (!raw.eventLoop().inEventLoop()) {
            raw.eventLoop().execute(() -> setListener(listener));
            return;
        }
        ByteBuf first = leftover;
        leftover = null;
        if (first != null) {
            listener.onData(this, first);
        }
        raw.setListener(new Forwarder(listener));
    }

    /** Re-addresses callbacks so that listeners see this {@link Stream}, not the raw muxed stream. */
    private final class Forwarder implements StreamListener {
        private final StreamListener target;

        Forwarder(StreamListener target) {
            this.target = target;
        }

        @Override
        public void onData(MuxedStream stream, ByteBuf data) {
            target.onData(Stream.this, data);
        }

        @Override
        public void onRemoteClose(MuxedStream stream) {
            target.onRemoteClose(Stream.this);
        }

        @Override
        public void onReset(MuxedStream stream, dev.edgelink.libp2p.Libp2pException cause) {
            target.onReset(Stream.this, cause);
        }

        @Override
        public void onWritabilityChanged(MuxedStream stream) {
            target.onWritabilityChanged(Stream.this);
        }

        @Override
        public void onSent(MuxedStream stream, int bytes) {
            target.onSent(Stream.this, bytes);
        }
    }

    @Override
    public long id() {
        return raw.id();
    }

    @Override
    public boolean isOutbound() {
        return raw.isOutbound();
    }

    @Override
    public StreamMuxer muxer() {
        return raw.muxer();
    }

    @Override
    public EventLoop eventLoop() {
        return raw.eventLoop();
    }

    @Override
    public void write(ByteBuf data) {
        raw.write(data);
    }

    @Override
    public boolean isWritable() {
        return raw.isWritable();
    }

    @Override
    public void chargeReceiveWindow(dev.edgelink.libp2p.mux.ByteBudget budget) {
        raw.chargeReceiveWindow(budget);
    }

    @Override
    public void setAutoRead(boolean autoRead) {
        raw.setAutoRead(autoRead);
    }

    @Override
    public void closeWrite() {
        raw.closeWrite();
    }

    @Override
    public void reset() {
        raw.eventLoop().execute(() -> {
            if (leftover != null) {
                leftover.release();
                leftover = null;
            }
        });
        raw.reset();
    }

    @Override
    public boolean isClosed() {
        return raw.isClosed();
    }

    @Override
    public String toString() {
        return "Stream{" + protocol + " #" + raw.id() + " " + connection.remotePeer() + "}";
    }
}
