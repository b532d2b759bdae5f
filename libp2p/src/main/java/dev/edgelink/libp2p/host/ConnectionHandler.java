package dev.edgelink.libp2p.host;

import dev.edgelink.libp2p.Libp2pException;
import dev.edgelink.libp2p.LimitExceededException;
import dev.edgelink.libp2p.ProtocolViolationException;
import dev.edgelink.libp2p.TransportException;
import dev.edgelink.libp2p.multistream.MultistreamHandler;
import dev.edgelink.libp2p.multistream.MultistreamNegotiation;
import dev.edgelink.libp2p.noise.NoiseHandshake;
import dev.edgelink.libp2p.noise.NoiseHandshakeHandler;
import dev.edgelink.libp2p.noise.NoiseSecured;
import dev.edgelink.libp2p.peer.PeerId;
import dev.edgelink.libp2p.yamux.YamuxRole;
import dev.edgelink.libp2p.yamux.YamuxSession;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last handler of every connection's pipeline. It drives the upgrade of a raw TCP channel
 *
 * <pre>
 *   [pnet] -> multistream(/noise) -> noise handshake -> multistream(/yamux/1.0.0) -> yamux
 * </pre>
 *
 * (the muxer round trip is skipped when both sides named it in the noise handshake), enforces the handshake and
 * upgrade timeouts, and is where every failure of the connection ends up: it logs one line and closes the channel.
 * A relayed connection runs the same pipeline on a {@link StreamChannel} over the relay's stream.
 *
 * <p>Once Noise has authenticated the remote, the host's peer gate is asked, then the connection takes an established
 * slot ({@link ConnectionSlots}); a refused peer or a full host closes it at once. Until then an inbound connection
 * is a stranger's: its failures (a wrong swarm key, garbage, the handshake deadline) are counted as
 * {@link Refusal}s and logged by the host at most once per interval, never one line per connection.
 *
 * <p>An {@link Error} thrown by a handler of this connection (Netty catches every Throwable of a handler and fires it
 * here) closes this connection only, and is counted as task {@value #ERROR_TASK} in the host's
 * {@link HostConfig#tasks()}: that is restart-safe, since everything the connection held (streams, queued frames,
 * their buffers) goes with it and the owners of connections dial again, and e.g. a direct buffer the allocator could
 * not reserve is most likely given back by exactly this close. Errors in tasks run on the event loop are caught and
 * logged by Netty itself (a WARN with the stack trace), and the loop goes on; they cannot be reached from here.
 */
final class ConnectionHandler extends ChannelInboundHandlerAdapter {

    static final String NAME = "edgelink-connection";
    static final String NOISE = "/noise";
    static final String YAMUX = "/yamux/1.0.0";
    /** The task name under which an Error in a connection's handlers is counted. */
    static final String ERROR_TASK = "connection-handler";

    private static final Logger LOG = LoggerFactory.getLogger(ConnectionHandler.class);

    private final Host host;
    private final PeerId expected;
    private final CompletableFuture<Connection> result;
    private final Connection.Direction direction;
    private final boolean initiator;
    private final Connection.Path path;
    private final ConnectionSlots.Source source;
    private ConnectionSlots.Slot slot;
    private ScheduledFuture<?> timeout;
    private ScheduledFuture<?> handshakeTimeout;
    private boolean authenticated;
    private Connection connection;
    private NoiseSecured secured;
    private boolean failed;

    /**
     * @param result completed with the connection (outbound dials, and relayed connections in both directions);
     *     null for inbound TCP
     * @param initiator whether we lead the upgrade (the dialer does, except in a hole punch: after a simultaneous
     *     open, and on an accepted socket from an address registered with {@link Host#leadInboundFrom})
     * @param path where the connection runs; null for TCP (taken from the channel once it is upgraded)
     * @param source where an inbound connection comes from, counted against while its handshake runs; null for
     *     connections we dialed
     */
    ConnectionHandler(Host host, PeerId expected, CompletableFuture<Connection> result,
            Connection.Direction direction, boolean initiator, Connection.Path path, ConnectionSlots.Source source) {
        this.host = host;
        this.expected = expected;
        this.result = result;
        this.direction = direction;
        this.initiator = initiator;
        this.path = path;
        this.source = source;
    }

    private boolean initiator() {
        return initiator;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        // taken here, where the channel is registered and active, so that an eviction can always close it
        Channel ch = ctx.channel();
        String remote = String.valueOf(ch.remoteAddress());
        slot = source != null ? host.slots().inbound(source, remote, ch::close)
                : host.slots().outbound(remote, ch::close);
        ConnectionSlots.Slot mine = slot;
        ch.closeFuture().addListener(f -> host.slots().release(mine));
        long millis = host.config().upgradeTimeout().toMillis();
        timeout = ctx.executor().schedule(() -> timedOut(ctx, new TransportException(
                "connection upgrade timed out after " + millis + " ms")), millis, TimeUnit.MILLISECONDS);
        long handshakeMillis = host.config().handshakeTimeout().toMillis();
        if (source != null && handshakeMillis < millis) {
            // a stranger's socket holds a handshake slot; our own dials hold none and keep the upgrade timeout
            handshakeTimeout = ctx.executor().schedule(() -> timedOut(ctx, new TransportException(
                    "connection handshake timed out after " + handshakeMillis + " ms: no authenticated peer")),
                    handshakeMillis, TimeUnit.MILLISECONDS);
        }
        MultistreamNegotiation negotiation = initiator()
                ? MultistreamNegotiation.dialer(List.of(NOISE))
                : MultistreamNegotiation.listener(NOISE::equals, () -> List.of(NOISE),
                        MultistreamNegotiation.DEFAULT_MAX_ATTEMPTS);
        ctx.pipeline().addBefore(NAME, "multistream-security",
                new MultistreamHandler(negotiation, this::securityHandler, host.config().maxMultistreamMessage()));
        super.channelActive(ctx);
    }

    private ChannelHandler securityHandler(String protocol) {
        NoiseHandshake.Role role = initiator() ? NoiseHandshake.Role.INITIATOR : NoiseHandshake.Role.RESPONDER;
        return new NoiseHandshakeHandler(host.config().identity(), role, expected, List.of(YAMUX),
                host.config().upgradeTimeout(), null, HostConfig.DEFAULT_MAX_NOISE_HANDSHAKE_MESSAGE);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
        if (!(event instanceof NoiseSecured)) {
            super.userEventTriggered(ctx, event);
            return;
        }
        secured = (NoiseSecured) event;
        if (!admit(ctx, secured.remotePeer())) {
            return;
        }
        if (YAMUX.equals(secured.chosenMuxerOrNull())) {
            ctx.pipeline().addBefore(NAME, "yamux", muxerHandler(ctx, YAMUX));
            return;
        }
        MultistreamNegotiation negotiation = initiator()
                ? MultistreamNegotiation.dialer(List.of(YAMUX))
                : MultistreamNegotiation.listener(YAMUX::equals, () -> List.of(YAMUX),
                        MultistreamNegotiation.DEFAULT_MAX_ATTEMPTS);
        ctx.pipeline().addBefore(NAME, "multistream-muxer",
                new MultistreamHandler(negotiation, p -> muxerHandler(ctx, p), host.config().maxMultistreamMessage()));
    }

    /**
     * The remote is authenticated: asks the peer gate, then takes an established slot. False when the connection
     * is refused (and being closed).
     */
    private boolean admit(ChannelHandlerContext ctx, PeerId peer) {
        authenticated = true;
        if (handshakeTimeout != null) {
            handshakeTimeout.cancel(false);
        }
        if (!host.admits(peer)) {
            refuse(ctx, Refusal.PEER_GATE, new TransportException("peer " + peer + " refused by the peer gate"),
                    "peer=" + peer + " remote=" + ctx.channel().remoteAddress());
            return false;
        }
        switch (host.slots().authenticate(slot, peer)) {
            case ESTABLISHED:
                return true;
            case FULL:
                int max = host.config().maxConnections();
                refuse(ctx, Refusal.CONNECTIONS, new LimitExceededException("maxConnections=" + max
                        + " connections are established, no room for one more"),
                        "peer=" + peer + " remote=" + ctx.channel().remoteAddress());
                return false;
            default:
                // evicted while its last handshake message was on the way: counted then, closed by then
                closeQuietly(ctx, new TransportException("connection closed during upgrade"));
                return false;
        }
    }

    /** Builds the yamux session and, once it sits in the pipeline, announces the connection. */
    private ChannelHandler muxerHandler(ChannelHandlerContext ctx, String protocol) {
        Connection[] holder = new Connection[1];
        YamuxRole role = initiator() ? YamuxRole.CLIENT : YamuxRole.SERVER;
        YamuxSession session = new YamuxSession(role, host.config().yamux(), raw -> host.inboundStream(holder[0], raw));
        holder[0] = new Connection(host, ctx.channel(), session, secured.remotePeer(), secured.remoteKey(),
                direction, initiator, NOISE, path != null ? path : Connection.Path.tcp(ctx.channel()),
                System.nanoTime());
        ctx.executor().execute(() -> upgraded(holder[0]));
        return session;
    }

    private void upgraded(Connection fresh) {
        if (failed) {
            return;
        }
        timeout.cancel(false);
        connection = host.established(fresh);
        if (result != null) {
            result.complete(connection);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof Error) {
            host.config().tasks().failed(ERROR_TASK, cause);
        }
        Libp2pException typed = cause instanceof Libp2pException ? (Libp2pException) cause
                : new TransportException(String.valueOf(cause.getMessage()), cause);
        fail(ctx, typed);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (timeout != null) {
            timeout.cancel(false);
        }
        if (handshakeTimeout != null) {
            handshakeTimeout.cancel(false);
        }
        if (result != null && !result.isDone()) {
            result.completeExceptionally(new TransportException("connection closed during upgrade"));
        }
        super.channelInactive(ctx);
    }

    /** The upgrade or handshake timer fired: for a stranger's connection that is a handshake deadline. */
    private void timedOut(ChannelHandlerContext ctx, TransportException cause) {
        if (isStranger()) {
            refuse(ctx, Refusal.HANDSHAKE_DEADLINE, cause, "remote=" + ctx.channel().remoteAddress());
        } else {
            fail(ctx, cause);
        }
    }

    /** An inbound connection whose peer is not authenticated yet. */
    private boolean isStranger() {
        return source != null && !authenticated;
    }

    /** Closes with a counted {@link Refusal}: the host logs those at most once per interval, so DEBUG here. */
    private void refuse(ChannelHandlerContext ctx, Refusal reason, Libp2pException cause, String detail) {
        if (failed) {
            return;
        }
        host.refused(reason, detail);
        LOG.debug("connection refused, {}: {} {}", reason.label(), cause.getMessage(), detail);
        closeQuietly(ctx, cause);
    }

    private void closeQuietly(ChannelHandlerContext ctx, Libp2pException cause) {
        failed = true;
        if (result != null) {
            result.completeExceptionally(cause);
        }
        ctx.close();
    }

    private void fail(ChannelHandlerContext ctx, Libp2pException cause) {
        if (failed) {
            return;
        }
        if (isStranger()) {
            if (slot != null && slot.wasEvicted()) {
                closeQuietly(ctx, cause);
            } else {
                refuse(ctx, Refusal.HANDSHAKE_FAILED, cause, "remote=" + ctx.channel().remoteAddress() + " ("
                        + cause.getMessage() + ")");
            }
            return;
        }
        failed = true;
        String peer = connection != null ? connection.remotePeer().toString()
                : expected != null ? expected.toString() : "?";
        boolean violation = cause instanceof ProtocolViolationException;
        String kind = violation ? "protocol violation" : "transport failure";
        if (connection == null) {
            LOG.warn("connection closed, {}: {} peer={} remote={} stage=upgrade", kind, cause.getMessage(), peer,
                    ctx.channel().remoteAddress());
        } else if (violation) {
            // the noise codec or the yamux session that found the violation has logged it, with more context
            LOG.debug("connection closed, {}: {} peer={} remote={} stage=established", kind, cause.getMessage(),
                    peer, ctx.channel().remoteAddress());
        } else {
            LOG.info("connection lost: {} peer={} remote={}", cause.getMessage(), peer, ctx.channel().remoteAddress());
        }
        if (result != null) {
            result.completeExceptionally(cause);
        }
        ctx.close();
    }
}
