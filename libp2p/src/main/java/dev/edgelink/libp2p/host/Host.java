package dev.edgelink.libp2p.host;

import dev.edgelink.libp2p.ConfigurationException;
import dev.edgelink.libp2p.Libp2pException;
import dev.edgelink.libp2p.TransportException;
import dev.edgelink.libp2p.multiaddr.Multiaddr;
import dev.edgelink.libp2p.multistream.MultistreamNegotiation;
import dev.edgelink.libp2p.multistream.MultistreamStreamNegotiator;
import dev.edgelink.libp2p.mux.MuxedStream;
import dev.edgelink.libp2p.peer.PeerId;
import dev.edgelink.libp2p.pnet.PnetHandler;
import dev.edgelink.libp2p.transport.TcpTransport;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A libp2p host: our identity, listeners, the connections to other peers and the protocols we serve.
 *
 * <p>Connections: one per peer is preferred. Dialing a peer we are connected to returns the existing connection;
 * when two connections to the same peer come up at once (both sides dialed), both sides keep the one dialed by
 * the peer whose id sorts lower and close the other, so the choice is the same on both ends without talking.
 * Each side decides when the second upgrade completes there, so for a moment the two sides may hold different
 * connections, and a dial may complete with the connection that is closed right after in favour of the other.
 *
 * <p>Relayed connections (through a circuit relay, see {@link CircuitDialer} and {@link #upgradeRelayed}) are kept
 * apart: a peer may have one direct and one relayed connection at once (hole punching upgrades a relayed
 * connection while it still runs), the rule above applies within each kind, and {@link #connection(PeerId)}
 * prefers the direct one.
 *
 * <p>Limits ({@link HostConfig}): a connection takes one of {@code maxConnections} established slots only once Noise
 * has authenticated its peer and the {@linkplain #setPeerGate peer gate} let it in. Until then an inbound
 * connection is a stranger's handshake: at most {@code maxPendingPerIp} per source and {@code maxPendingHandshakes}
 * in all run at once (a newer one closes the oldest), and none outlives {@code handshakeTimeout}. So a flood of
 * connects, with or without the swarm key, cannot take the slots members need. What was refused is counted in
 * {@link #refusals()} and logged at most once per reason and interval (see {@link ConnectionSlots}).
 */
public final class Host implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Host.class);
    /**
     * A second connection the peer dialed this long after its first one replaces the first (see
     * {@code preferred}); sooner, it is a race of two dials and the older stays.
     */
    static final Duration REDIAL_AFTER = Duration.ofSeconds(5);

    /** Something registered with the host for a while; closing it ends it (idempotent). */
    public interface Registration extends AutoCloseable {
        @Override
        void close();
    }

    private final HostConfig config;
    private final PeerId peerId;
    private final TcpTransport transport;
    private final Map<String, ProtocolHandler> handlers = new ConcurrentHashMap<>();
    private final Map<PeerId, Connection> connections = new ConcurrentHashMap<>();
    private final Map<PeerId, Connection> relayed = new ConcurrentHashMap<>();
    private final List<HostListener> listeners = new CopyOnWriteArrayList<>();
    private final List<Channel> serverChannels = new CopyOnWriteArrayList<>();
    private final List<Multiaddr> boundAddresses = new CopyOnWriteArrayList<>();
    private final InboundRoles inboundRoles = new InboundRoles(System::nanoTime);
    private final Refusals refusals;
    private final ConnectionSlots slots;
    private volatile Predicate<PeerId> peerGate;
    private volatile CircuitDialer circuitDialer;
    private volatile boolean closed;

    private Host(HostConfig config) {
        this.config = config;
        this.peerId = PeerId.fromPublicKey(config.identity().publicKey());
        this.transport = new TcpTransport(config.eventLoopThreads());
        this.refusals = new Refusals(System::nanoTime, Refusals.LOG_INTERVAL, this::schedule,
                Refusals.logTo(config));
        this.slots = new ConnectionSlots(config.maxPendingPerIp(), config.maxPendingHandshakes(),
                config.maxConnections(), refusals::refused);
        this.peerGate = config.peerGate();
        config.tasks().track(ConnectionHandler.ERROR_TASK);
    }

    /** Creates a host and binds its listen addresses; fails with a TransportException if one cannot be bound. */
    public static Host start(HostConfig config) {
        Host host = new Host(config);
        try {
            for (Multiaddr address : config.listenAddresses()) {
                Channel server = host.transport.listen(address, host::initInboundChannel).join();
                host.serverChannels.add(server);
                host.boundAddresses.add(Multiaddr.tcp((InetSocketAddress) server.localAddress()));
            }
        } catch (RuntimeException e) {
            host.close();
            throw e.getCause() instanceof Libp2pException ? (Libp2pException) e.getCause() : e;
        }
        LOG.info("host started peer={} listen={} transport={}", host.peerId, host.boundAddresses,
                host.transport.isEpoll() ? "epoll" : "nio");
        return host;
    }

    public PeerId peerId() {
        return peerId;
    }

    public HostConfig config() {
        return config;
    }

    /** The addresses we actually listen on (with real ports when port 0 was asked for). */
    public List<Multiaddr> listenAddresses() {
        return List.copyOf(boundAddresses);
    }

    public void setHandler(String protocol, ProtocolHandler handler) {
        handlers.put(protocol, handler);
    }

    /** Stops serving {@code protocol}; new streams for it are refused with {@code na}. */
    public void removeHandler(String protocol) {
        handlers.remove(protocol);
    }

    /** Protocols we serve, sorted (what identify announces and {@code ls} lists). */
    public List<String> protocols() {
        List<String> list = new ArrayList<>(handlers.keySet());
        list.sort(null);
        return list;
    }

    public void addListener(HostListener listener) {
        listeners.add(listener);
    }

    public void removeListener(HostListener listener) {
        listeners.remove(listener);
    }

    /** The open connection to {@code peer}: the direct one if there is one, else the relayed one. */
    public Optional<Connection> connection(PeerId peer) {
        Optional<Connection> direct = directConnection(peer);
        return direct.isPresent() ? direct : relayedConnection(peer);
    }

    /** The open direct (TCP) connection to {@code peer}, if any. */
    public Optional<Connection> directConnection(PeerId peer) {
        Connection c = connections.get(peer);
        return c != null && c.isOpen() ? Optional.of(c) : Optional.empty();
    }

    /** The open relayed connection to {@code peer}, if any. */
    public Optional<Connection> relayedConnection(PeerId peer) {
        Connection c = relayed.get(peer);
        return c != null && c.isOpen() ? Optional.of(c) : Optional.empty();
    }

    /** All connections, direct ones first. */
    public List<Connection> connections() {
        List<Connection> all = new ArrayList<>(connections.values());
        all.addAll(relayed.values());
        return all;
    }

    /**
     * Replaces the peer gate: asked once for every connection, both directions, TCP and relayed, right after Noise
     * has authenticated the remote; a peer it refuses is closed at once (counted as {@link Refusal#PEER_GATE}, a
     * dial to it fails). It runs on an event loop, so it must answer at once (a lookup, never I/O); one that throws
     * refuses. Connections already open are not asked again: {@link #disconnect} closes them.
     */
    public void setPeerGate(Predicate<PeerId> gate) {
        this.peerGate = Objects.requireNonNull(gate, "gate");
    }

    /**
     * Closes every connection to {@code peer} at once: direct and relayed, and those authenticated but still
     * choosing their muxer. Returns how many were closed.
     */
    public int disconnect(PeerId peer) {
        int closed = slots.closeAll(peer);
        if (closed > 0) {
            LOG.info("disconnected peer={} connections={}", peer, closed);
        }
        return closed;
    }

    /** Connections refused so far, by reason (every reason present, most of them 0). */
    public Map<Refusal, Long> refusals() {
        return refusals.counts();
    }

    /** Inbound connections in their handshake now (not yet authenticated). */
    public int pendingHandshakes() {
        return slots.pendingCount();
    }

    /** Established (authenticated) connections now, TCP and relayed, with those still choosing their muxer. */
    public int establishedConnections() {
        return slots.establishedCount();
    }

    /** Installs the transport for {@code /p2p-circuit} addresses (null removes it: such dials then fail). */
    public void setCircuitDialer(CircuitDialer dialer) {
        this.circuitDialer = dialer;
    }

    /**
     * Connects to {@code address}. If it names a peer ({@code /p2p/...}) we are connected to, that connection is
     * returned; otherwise the address is dialed, and the remote must prove it is that peer.
     */
    public CompletableFuture<Connection> connect(Multiaddr address) {
        return connect(address, DialOptions.DEFAULT);
    }

    /**
     * Connects to {@code address} as {@code options} say (see {@link DialOptions}: listen-port reuse, forced
     * dials, the upgrade role for a TCP simultaneous open). Fails with a ConfigurationException when the listen
     * port is to be reused but we listen on no address of that family.
     */
    public CompletableFuture<Connection> connect(Multiaddr address, DialOptions options) {
        Optional<PeerId> expected = address.peerId();
        if (expected.isPresent() && !options.force()) {
            // a direct address is dialed even when a relayed connection exists: that is how one upgrades
            Optional<Connection> existing = address.isCircuit() ? connection(expected.get())
                    : directConnection(expected.get());
            if (existing.isPresent()) {
                return CompletableFuture.completedFuture(existing.get());
            }
        }
        if (closed) {
            return CompletableFuture.failedFuture(new TransportException("host is closed"));
        }
        if (address.isCircuit()) {
            CircuitDialer dialer = circuitDialer;
            if (dialer == null) {
                return CompletableFuture.failedFuture(new TransportException("cannot dial " + address
                        + ": no circuit relay transport is installed"));
            }
            return dialer.dial(this, address);
        }
        InetSocketAddress local;
        try {
            local = options.reuseListenPort() ? listenSocketFor(address) : null;
        } catch (Libp2pException e) {
            return CompletableFuture.failedFuture(e);
        }
        boolean initiator = options.role() == DialOptions.UpgradeRole.INITIATOR;
        CompletableFuture<Connection> result = new CompletableFuture<>();
        transport.dial(address.withoutPeerId(), options.timeout().orElse(config.dialTimeout()), local,
                        ch -> initChannel(ch, expected.orElse(null), result, initiator))
                .whenComplete((ch, error) -> {
                    if (error != null) {
                        result.completeExceptionally(error);
                    }
                });
        return result;
    }

    /** Our bound listen address of the family of {@code remote}: the local end of a dial that reuses it. */
    private InetSocketAddress listenSocketFor(Multiaddr remote) {
        InetSocketAddress target = remote.withoutPeerId().toTcpSocketAddress();
        for (Multiaddr bound : boundAddresses) {
            InetSocketAddress socket = bound.toTcpSocketAddress();
            if (socket.getAddress().getClass() == target.getAddress().getClass()) {
                return socket;
            }
        }
        for (Multiaddr bound : boundAddresses) {
            // a wildcard listener (the kernel reports 0.0.0.0 as the dual-stack ::) takes both families
            InetSocketAddress socket = bound.toTcpSocketAddress();
            if (socket.getAddress().isAnyLocalAddress()) {
                return new InetSocketAddress(socket.getPort());
            }
        }
        throw new ConfigurationException("cannot dial " + remote + " from a listen port: we listen on no address"
                + " of its family (listening on " + boundAddresses + ")");
    }

    /**
     * Makes us lead the upgrade (multistream dialer, noise initiator, yamux client) of inbound TCP connections
     * from exactly these remote socket addresses, accepted within {@code window} or until the returned handle is
     * closed. A hole punch needs it when the peer's punch dial (in the {@link DialOptions.UpgradeRole#RESPONDER}
     * role, from its listen port) reaches our listening socket before our own dial meets it: accepted as an
     * ordinary inbound connection, both sides would wait for the other to speak until the upgrade timeout. The
     * peer dials from an address it offered, so DCUtR's A registers the addresses of the peer's CONNECT for the
     * round. Noise authenticates the remote as on any connection; an ordinary dial from one of these ip:ports
     * within the window (both sides leading) fails its upgrade.
     *
     * @param remotes resolved socket addresses with a port
     * @param window how long the registration lasts at most (positive)
     */
    public Registration leadInboundFrom(Collection<InetSocketAddress> remotes, Duration window) {
        return inboundRoles.lead(remotes, window);
    }

    /** Connects (or reuses a connection) and opens a stream speaking the first protocol the remote supports. */
    public CompletableFuture<Stream> newStream(Multiaddr address, String... protocols) {
        return connect(address).thenCompose(c -> c.newStream(protocols));
    }

    private void initInboundChannel(Channel ch) {
        InetSocketAddress remote = (InetSocketAddress) ch.remoteAddress();
        boolean lead = inboundRoles.leads(remote);
        if (lead) {
            LOG.debug("inbound connection from a hole punch's peer address, we lead its upgrade remote={}", remote);
        }
        initChannel(ch, null, null, lead);
    }

    private void initChannel(Channel ch, PeerId expected, CompletableFuture<Connection> result, boolean initiator) {
        config.swarmKey().ifPresent(key -> ch.pipeline().addLast("pnet", new PnetHandler(key)));
        Connection.Direction direction = result != null ? Connection.Direction.OUTBOUND
                : Connection.Direction.INBOUND;
        ConnectionSlots.Source source = result != null ? null
                : ConnectionSlots.Source.ip(((InetSocketAddress) ch.remoteAddress()).getAddress());
        ch.pipeline().addLast(ConnectionHandler.NAME,
                new ConnectionHandler(this, expected, result, direction, initiator, null, source));
    }

    /**
     * Runs a relayed connection on {@code carrier}, a stream through a circuit relay on which CONNECT (we dial) or
     * STOP (we are reached) succeeded: its bytes are upgraded exactly like a TCP socket's (pnet if configured,
     * multistream, noise, yamux), and the remote must prove to be {@code remotePeer}. The carrier belongs to the
     * new connection from now on: closing one closes the other.
     *
     * @param first bytes already read from the carrier behind the relay's message (owned by the callee)
     * @param direction OUTBOUND on the side that sent CONNECT (it starts the upgrade), INBOUND on the side that
     *     got STOP
     * @param path the circuit addresses; its transport must be {@link Connection.Transport#CIRCUIT}
     * @return completes with the connection once upgraded (or with the already kept one, as for TCP), or fails
     */
    public CompletableFuture<Connection> upgradeRelayed(MuxedStream carrier, ByteBuf first, PeerId remotePeer,
            Connection.Direction direction, Connection.Path path) {
        if (path.transport() != Connection.Transport.CIRCUIT) {
            throw new IllegalArgumentException("a relayed connection's path must be CIRCUIT: " + path);
        }
        CompletableFuture<Connection> result = new CompletableFuture<>();
        if (closed) {
            if (first != null) {
                first.release();
            }
            carrier.reset();
            result.completeExceptionally(new TransportException("host is closed"));
            return result;
        }
        StreamChannel channel = new StreamChannel(carrier, first, path.localAddress(), path.remoteAddress());
        config.swarmKey().ifPresent(key -> channel.pipeline().addLast("pnet", new PnetHandler(key)));
        // an inbound relayed handshake is counted against the remote peer the relay names, see ConnectionSlots
        ConnectionSlots.Source source = direction == Connection.Direction.INBOUND
                ? ConnectionSlots.Source.relayed(remotePeer) : null;
        channel.pipeline().addLast(ConnectionHandler.NAME,
                new ConnectionHandler(this, remotePeer, result, direction,
                        direction == Connection.Direction.OUTBOUND, path, source));
        carrier.eventLoop().register(channel).addListener(f -> {
            if (!f.isSuccess()) {
                carrier.reset();
                result.completeExceptionally(new TransportException("relayed connection not started: "
                        + f.cause().getMessage(), f.cause()));
            }
        });
        return result;
    }

    /** Called by the upgrade once the muxer runs. Decides between duplicate connections. */
    Connection established(Connection fresh) {
        Map<PeerId, Connection> kind = fresh.isRelayed() ? relayed : connections;
        Connection[] displaced = new Connection[1];
        Connection kept = kind.compute(fresh.remotePeer(), (peer, old) -> {
            if (old == null || !old.isOpen()) {
                return fresh;
            }
            Connection winner = preferred(old, fresh);
            displaced[0] = winner == old ? fresh : old;
            return winner;
        });
        // Closed outside compute(): a close that completes at once runs the close listener below, which removes
        // from the same map entry, and a map must not be updated from inside its own compute().
        if (displaced[0] != null) {
            LOG.debug("duplicate connection closed peer={} kept={} closed={}", fresh.remotePeer(),
                    kept.remoteAddress(), displaced[0].remoteAddress());
            displaced[0].close();
        }
        if (kept != fresh) {
            return kept;
        }
        for (HostListener l : listeners) {
            l.connectionOpened(fresh);
        }
        fresh.channel().closeFuture().addListener(f -> {
            kind.remove(fresh.remotePeer(), fresh);
            for (HostListener l : listeners) {
                l.connectionClosed(fresh);
            }
        });
        return fresh;
    }

    /**
     * Of two live connections to one peer: the one whose upgrade was led by the lower peer id (the dialer, except
     * after a hole punch, where both sides agree on the roles); if equal, the older, unless the new one came more
     * than {@link #REDIAL_AFTER} after the old: a node dials a connected peer again only when its end of the old
     * connection is gone (its NAT forgot the mapping, it restarted) or with a forced dial, and keeping the remote's
     * dead end would refuse its every new connection until the remote's watchdog noticed, tens of seconds later.
     */
    private Connection preferred(Connection a, Connection b) {
        PeerId dialerA = a.isInitiator() ? peerId : a.remotePeer();
        PeerId dialerB = b.isInitiator() ? peerId : b.remotePeer();
        int cmp = dialerA.compareTo(dialerB);
        if (cmp == 0) {
            Connection older = a.openedNanos() <= b.openedNanos() ? a : b;
            Connection newer = older == a ? b : a;
            // both ends see the same dialer and about the same gap, so both keep the same connection
            return newer.openedNanos() - older.openedNanos() > REDIAL_AFTER.toNanos() ? newer : older;
        }
        return cmp < 0 ? a : b;
    }

    /** An inbound stream arrived on {@code connection}: negotiate its protocol, then hand it to the handler. */
    void inboundStream(Connection connection, MuxedStream raw) {
        MultistreamNegotiation negotiation = MultistreamNegotiation.listener(handlers::containsKey, this::protocols,
                MultistreamNegotiation.DEFAULT_MAX_ATTEMPTS);
        MultistreamStreamNegotiator.start(raw, negotiation, new MultistreamStreamNegotiator.Outcome() {
            @Override
            public void selected(MuxedStream stream, String protocol, ByteBuf leftover) {
                Stream negotiated = new Stream(stream, connection, protocol, leftover);
                streamNegotiated(negotiated);
                ProtocolHandler handler = handlers.get(protocol);
                try {
                    handler.onStream(negotiated);
                } catch (RuntimeException e) {
                    LOG.error("protocol handler failed protocol={} peer={}", protocol, connection.remotePeer(), e);
                    negotiated.reset();
                }
            }

            @Override
            public void failed(MuxedStream stream, Libp2pException cause) {
                LOG.debug("inbound stream negotiation failed peer={}: {}", connection.remotePeer(),
                        cause.getMessage());
            }
        }, config.maxMultistreamMessage());
    }

    void streamNegotiated(Stream stream) {
        for (HostListener l : listeners) {
            l.streamOpened(stream);
        }
    }

    List<HostListener> listeners() {
        return listeners;
    }

    ConnectionSlots slots() {
        return slots;
    }

    void refused(Refusal reason, String detail) {
        refusals.refused(reason, detail);
    }

    /** Whether the peer gate lets an authenticated {@code peer} in; a gate that throws refuses. */
    boolean admits(PeerId peer) {
        try {
            return peerGate.test(peer);
        } catch (RuntimeException e) {
            LOG.warn("the peer gate failed, peer refused peer={}", peer, e);
            return false;
        }
    }

    /** Runs a refusal report later on an event loop; none once the host is closing. */
    private void schedule(Runnable task, long delayNanos) {
        try {
            transport.group().schedule(task, delayNanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            // the host is shutting down: the counters still hold what the report would have said
        }
    }

    boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Channel server : serverChannels) {
            server.close().syncUninterruptibly();
        }
        for (Connection c : connections()) {
            c.close();
        }
        transport.close();
    }
}
