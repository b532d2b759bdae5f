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
 *
 * <p>It runs either on a TCP socket or, {@linkplain #isRelayed() relayed}, on a stream through a circuit relay
 * (the stream's bytes carry the connection, upgraded exactly like TCP). A relay may limit a relayed connection
 * in time or bytes ({@link #isLimited()}); protocols that move bulk data should prefer a direct connection.
 */
public final class Connection {

    public enum Direction { INBOUND, OUTBOUND }

    /** What carries the connection's bytes. */
    public enum Transport {
        /** A TCP socket of our own. */
        TCP,
        /** A stream through a circuit relay v2 ({@code /p2p-circuit}). */
        CIRCUIT
    }

    /**
     * Where a connection runs: its addresses, what carries it, and whether a relay limits it. A relayed
     * connection's remote address is the circuit address {@code .../p2p/RELAY/p2p-circuit}.
     */
    public record Path(Multiaddr remoteAddress, Multiaddr localAddress, Transport transport, boolean limited) {

        /** A TCP socket's path (never limited). */
        static Path tcp(Channel channel) {
            return new Path(Multiaddr.tcp((java.net.InetSocketAddress) channel.remoteAddress()),
                    Multiaddr.tcp((java.net.InetSocketAddress) channel.localAddress()), Transport.TCP, false);
        }
    }

    private final Host host;
    private final Channel channel;
    private final StreamMuxer muxer;
    private final PeerId remotePeer;
    private final PubKey remoteKey;
    private final Direction direction;
    private final boolean initiator;
    private final String security;
    private final Path path;
    private final long openedNanos;

    Connection(Host host, Channel channel, StreamMuxer muxer, PeerId remotePeer, PubKey remoteKey,
            Direction direction, boolean initiator, String security, Path path, long openedNanos) {
        this.host = host;
        this.channel = channel;
        this.muxer = muxer;
        this.remotePeer = remotePeer;
        this.remoteKey = remoteKey;
        this.direction = direction;
        this.initiator = initiator;
        this.security = security;
        this.path = path;
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

    /** The remote's address: TCP, or for a relayed connection {@code .../p2p/RELAY/p2p-circuit}. */
    public Multiaddr remoteAddress() {
        return path.remoteAddress();
    }

    /** Our address: TCP, or for a relayed connection the relay's circuit address we were reached at or left by. */
    public Multiaddr localAddress() {
        return path.localAddress();
    }

    public Transport transport() {
        return path.transport();
    }

    /** True when the connection runs through a circuit relay. */
    public boolean isRelayed() {
        return path.transport() == Transport.CIRCUIT;
    }

    /** True when a relay limits the connection's duration or data (it may end at any time). */
    public boolean isLimited() {
        return path.limited();
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

    /**
     * Closes at once for a connection found dead: a TCP socket is reset (SO_LINGER 0) rather than closed with a FIN
     * that nobody will acknowledge, so its 4-tuple is free for a new dial from the same port right away (a graceful
     * close would hold it for minutes of FIN retransmissions). A relayed connection is closed as by {@link #close}.
     */
    public void abort() {
        if (channel instanceof io.netty.channel.socket.SocketChannel socket && socket.isActive()) {
            try {
                socket.config().setSoLinger(0);
            } catch (io.netty.channel.ChannelException ignored) {
                // not settable on this transport: the close below is then a graceful one
            }
            channel.close();
            return;
        }
        close();
    }

    @Override
    public String toString() {
        return "Connection{" + direction + " " + remotePeer + " " + path.remoteAddress() + "}";
    }
}
