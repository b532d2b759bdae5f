package dev.edgelink.libp2p.host;

import dev.edgelink.libp2p.Libp2pException;
import dev.edgelink.libp2p.crypto.PubKey;
import dev.edgelink.libp2p.multiaddr.Multiaddr;
import dev.edgelink.libp2p.multistream.MultistreamNegotiation;
import dev.edgelink.libp2p.multistream.MultistreamStreamNegotiator;
import dev.edgelink.libp2p.mux.MuxedStream;
import dev.edgelink.libp2p.mux.StreamMuxer;
import dev.edgelink.libp2p.peer.PeerId;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * An upgraded libp2p connection: secured, multiplexed, with an authenticated remote peer.
 */
public final class Connection {

    public enum Direction { INBOUND, OUTBOUND }

    private final Host host;
    private final Channel channel;
    private final StreamMuxer muxer;
    private final PeerId remotePeer;
    private final PubKey remoteKey;
    private final Direction direction;
    private final boolean initiator;
    private final String security;
    private final Multiaddr remoteAddress;
    private final Multiaddr localAddress;
    private final long openedNanos;

    Connection(Host host, Channel channel, StreamMuxer muxer, PeerId remotePeer, PubKey remoteKey,
            Direction direction, boolean initiator, String security, long openedNanos) {
        this.host = host;
        this.channel = channel;
        this.muxer = muxer;
        this.remotePeer = remotePeer;
        this.remoteKey = remoteKey;
        this.direction = direction;
        this.initiator = initiator;
        this.security = security;
        this.remoteAddress = Multiaddr.tcp((java.net.InetSocketAddress) channel.remoteAddress());
        this.localAddress = Multiaddr.tcp((java.net.InetSocketAddress) channel.localAddress());
        this.openedNanos = openedNanos;
    }

    /**
     * Opens a stream and negotiates the first of {@code protocols} the remote supports. Completes with the
     * stream, or fails with {@code UnsupportedProtocolException}, a {@code LimitExceededException} (stream
     * limit) or a {@code TransportException} (connection gone).
     */
    public CompletableFuture<Stream> newStream(List<String> protocols) {
        CompletableFuture<Stream> result = new CompletableFuture<>();
        muxer.openStream().whenComplete((raw, error) -> {
            if (error != null) {
                result.completeExceptionally(error);
                return;
            }
            MultistreamStreamNegotiator.start(raw, MultistreamNegotiation.dialer(protocols),
                    new MultistreamStreamNegotiator.Outcome() {
                        @Override
                        public void selected(MuxedStream stream, String protocol, ByteBuf leftover) {
                            Stream negotiated = new Stream(stream, Connection.this, protocol, leftover);
                            host.streamNegotiated(negotiated);
                            result.complete(negotiated);
                        }

                        @Override
                        public void failed(MuxedStream stream, Libp2pException cause) {
                            result.completeExceptionally(cause);
                        }
                    }, host.config().maxMultistreamMessage());
        });
        return result;
    }

    public CompletableFuture<Stream> newStream(String... protocols) {
        return newStream(List.of(protocols));
    }

    public PeerId remotePeer() {
        return remotePeer;
    }

    public PubKey remoteKey() {
        return remoteKey;
    }

    public Direction direction() {
        return direction;
    }

    /**
     * True when we led the upgrade (multistream dialer, noise initiator, yamux client). That is the dialer,
     * except on a hole-punched connection, where DCUtR assigns the roles.
     */
    public boolean isInitiator() {
        return initiator;
    }

    /** The security protocol, e.g. {@code /noise}. */
    public String security() {
        return security;
    }

    /** The muxer protocol, e.g. {@code /yamux/1.0.0}. */
    public String muxerProtocol() {
        return muxer.protocolId();
    }

    public StreamMuxer muxer() {
        return muxer;
    }

    public Multiaddr remoteAddress() {
        return remoteAddress;
    }

    public Multiaddr localAddress() {
        return localAddress;
    }

    long openedNanos() {
        return openedNanos;
    }

    Channel channel() {
        return channel;
    }

    /** True while the socket is up and the muxer takes new streams (not closed, not closing). */
    public boolean isOpen() {
        return channel.isActive() && !muxer.closeFuture().isDone();
    }

    /** Closes gracefully: go-away to the remote, then the socket. */
    public void close() {
        muxer.goAway();
        muxer.close();
    }

    @Override
    public String toString() {
        return "Connection{" + direction + " " + remotePeer + " " + remoteAddress + "}";
    }
}
