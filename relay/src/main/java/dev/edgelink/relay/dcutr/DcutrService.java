package dev.edgelink.relay.dcutr;

import dev.edgelink.libp2p.Libp2pException;
import dev.edgelink.libp2p.ProtocolViolationException;
import dev.edgelink.libp2p.TransportException;
import dev.edgelink.libp2p.host.Connection;
import dev.edgelink.libp2p.host.DialOptions;
import dev.edgelink.libp2p.host.Host;
import dev.edgelink.libp2p.host.Stream;
import dev.edgelink.libp2p.multiaddr.Multiaddr;
import dev.edgelink.libp2p.multiaddr.Protocol;
import dev.edgelink.libp2p.peer.PeerId;
import dev.edgelink.relay.autonat.DialBackPolicy;
import dev.edgelink.relay.reachability.Reachability;
import dev.edgelink.relay.wire.MessageStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DCUtR ({@code /libp2p/dcutr}): upgrades a (relayed) connection to a direct one by a TCP simultaneous open.
 *
 * <p>{@link #punch(Connection)} is B's side (the spec's inbound peer, who starts): it opens a stream, sends
 * CONNECT with our candidate addresses, measures the round trip to the peer's CONNECT, sends SYNC, waits half the
 * round trip and dials. The handler is A's side: it answers CONNECT and dials as soon as SYNC arrives. Both dial
 * from the listen port, retrying fast within the window; B takes the responder role in the upgrade of the
 * resulting socket and A the initiator role (as js-libp2p and rust-libp2p), whichever way the socket came about:
 * a simultaneous open, A's SYN accepted by B's listener (B responds, as on any accepted socket), or B's SYN
 * accepted by A's listener (A leads there too: for the round, A has the host lead the upgrade of inbound
 * connections from the addresses of B's CONNECT, see {@link Host#leadInboundFrom}). Up to {@code maxRounds}
 * rounds, each on a new stream (the spec's "go back to step 1"; js-libp2p and go-libp2p serve one round per stream
 * and close it). A serves one round per stream; while a round of a peer is still exchanging messages, another
 * stream from that peer is refused, and at most two of its rounds dial at once (a retry may start while the
 * previous round's dials run out their window). The relayed connection is left to the caller (migrate, then close
 * it after a grace period).
 */
public final class DcutrService {

    public static final String PROTOCOL = "/libp2p/dcutr";
    /** At most this many of a CONNECT's addresses are dialed: the peer picks them, so this bounds our dialing. */
    public static final int MAX_TARGETS = 8;

    private static final Logger LOG = LoggerFactory.getLogger(DcutrService.class);

    private final Host host;
    private final DcutrConfig config;
    private final Supplier<List<Multiaddr>> candidates;
    private final ScheduledExecutorService scheduler;
    private final LongSupplier nanoTime;
    private final PunchDialer dialer;
    private final List<Consumer<Connection>> punchedListeners = new CopyOnWriteArrayList<>();
    private final Map<PeerId, PeerRounds> answering = new HashMap<>();

    /** A's rounds for one peer: whether one is exchanging messages, and how many are not over. */
    private static final class PeerRounds {
        private boolean negotiating;
        private int live;
    }

    /**
     * @param candidates our addresses to offer in CONNECT (observed external addresses with the listen port)
     */
    public DcutrService(Host host, DcutrConfig config, Supplier<List<Multiaddr>> candidates,
            ScheduledExecutorService scheduler, LongSupplier nanoTime) {
        this.host = host;
        this.config = config;
        this.candidates = candidates;
        this.scheduler = scheduler;
        this.nanoTime = nanoTime;
        this.dialer = new PunchDialer(host, scheduler, nanoTime, config.retryInterval());
        host.setHandler(PROTOCOL, this::serve);
    }

    /** Told about every direct connection a punch the peer started (we are A) produced. */
    public void addPunchedListener(Consumer<Connection> listener) {
        punchedListeners.add(listener);
    }

    /**
     * Applies {@code policy} (symmetric NAT on either side, backoff) and punches if it says so; records the
     * outcome. Fails at once with a {@link PunchNotAttemptedException} when the policy says no.
     */
    public CompletableFuture<Connection> punch(Connection relayed, PunchPolicy policy, Reachability local,
            Reachability remote) {
        PunchPolicy.Decision d = policy.decide(relayed.remotePeer(), local, remote, nanoTime.getAsLong());
        if (!d.attempt()) {
            LOG.debug("hole punch not attempted: {} peer={}", d.reason(), relayed.remotePeer());
            return CompletableFuture.failedFuture(new PunchNotAttemptedException(d.reason()));
        }
        return punch(relayed).whenComplete((c, e) -> {
            if (e == null) {
                policy.succeeded(relayed.remotePeer());
            } else {
                policy.failed(relayed.remotePeer(), nanoTime.getAsLong());
            }
        });
    }

    /** B's side of DCUtR over {@code relayed}. Completes with the direct connection or fails after the rounds. */
    public CompletableFuture<Connection> punch(Connection relayed) {
        CompletableFuture<Connection> result = new CompletableFuture<>();
        initiatorRound(relayed, new HolePunchSession(true, config.maxRounds()), result);
        return result;
    }

    /** One round of B's: a new stream, CONNECT, the peer's CONNECT, SYNC, half the round trip, the dials. */
    private void initiatorRound(Connection relayed, HolePunchSession session, CompletableFuture<Connection> result) {
        relayed.newStream(PROTOCOL).whenComplete((stream, error) -> {
            if (error != null) {
                Libp2pException cause = cause(error);
                LOG.info("hole punch aborted: no stream in round {}: {} peer={}", session.round(),
                        cause.getMessage(), relayed.remotePeer());
                result.completeExceptionally(cause);
                return;
            }
            MessageStream messages = MessageStream.attach(stream, HolePunchCodec.MAX_MESSAGE, scheduler);
            exchange(relayed, messages, session, result);
        });
    }

    private void exchange(Connection relayed, MessageStream messages, HolePunchSession session,
            CompletableFuture<Connection> result) {
        session.connectSent(nanoTime.getAsLong());
        messages.write(HolePunchCodec.encode(HolePunchMessage.Type.CONNECT, candidates.get()));
        messages.read(config.messageTimeout()).thenAccept(bytes -> {
            HolePunchMessage connect = HolePunchCodec.decode(bytes);
            session.received(connect.type(), nanoTime.getAsLong());
            List<Multiaddr> targets = dialable(connect.addresses());
            if (targets.isEmpty()) {
                throw new ProtocolViolationException("dcutr: CONNECT without a dialable address");
            }
            LOG.debug("hole punch round {} rtt={} us peer={} targets={}", session.round(),
                    session.rttNanos() / 1000, relayed.remotePeer(), targets);
            messages.write(HolePunchCodec.encode(HolePunchMessage.Type.SYNC, List.of()));
            // the watch for A's connection starts now, the dials after half the round trip: A dials the moment
            // SYNC arrives, and its connection can be up before ours start
            dialer.dial(relayed.remotePeer(), targets, DialOptions.UpgradeRole.RESPONDER,
                            Duration.ofNanos(session.dialDelayNanos()), config.dialWindow(), relayed)
                    .whenComplete((direct, failure) -> afterInitiatorDial(relayed, messages, session, result,
                            direct, failure));
        }).exceptionally(e -> {
            abort(messages, cause(e), result, relayed);
            return null;
        });
    }

    private void afterInitiatorDial(Connection relayed, MessageStream messages, HolePunchSession session,
            CompletableFuture<Connection> result, Connection direct, Throwable failure) {
        HolePunchSession.State next = session.dialed(failure == null);
        switch (next) {
            case SUCCEEDED -> {
                LOG.info("hole punch succeeded peer={} remote={} round={}", relayed.remotePeer(),
                        direct.remoteAddress(), session.round());
                messages.closeWrite();
                result.complete(direct);
            }
            case FAILED -> {
                LOG.info("hole punch failed peer={} rounds={}: {}", relayed.remotePeer(), session.round(),
                        cause(failure).getMessage());
                messages.closeWrite();
                result.completeExceptionally(new TransportException("hole punch to " + relayed.remotePeer()
                        + " failed after " + session.round() + " rounds: " + cause(failure).getMessage()));
            }
            default -> {
                messages.closeWrite();
                initiatorRound(relayed, session, result);
            }
        }
    }

    /** A's side: one round per stream: answer CONNECT, dial on SYNC. */
    private void serve(Stream stream) {
        PeerId peer = stream.connection().remotePeer();
        String refused = startRound(peer);
        if (refused != null) {
            LOG.info("hole punch refused: {} peer={}", refused, peer);
            stream.reset();
            return;
        }
        MessageStream messages = MessageStream.attach(stream, HolePunchCodec.MAX_MESSAGE, scheduler);
        responderRound(stream.connection(), messages, new HolePunchSession(false, 1));
    }

    private String startRound(PeerId peer) {
        synchronized (answering) {
            PeerRounds rounds = answering.computeIfAbsent(peer, p -> new PeerRounds());
            if (rounds.negotiating) {
                return "a round is already running";
            }
            if (rounds.live >= 2) {
                return "two rounds are still dialing";
            }
            rounds.negotiating = true;
            rounds.live++;
            return null;
        }
    }

    private void roundDialing(PeerId peer) {
        synchronized (answering) {
            answering.get(peer).negotiating = false;
        }
    }

    private void roundOver(PeerId peer) {
        synchronized (answering) {
            PeerRounds rounds = answering.get(peer);
            rounds.negotiating = false;
            if (--rounds.live == 0) {
                answering.remove(peer);
            }
        }
    }

    private void responderRound(Connection relayed, MessageStream messages, HolePunchSession session) {
        AtomicReference<List<Multiaddr>> targets = new AtomicReference<>();
        AtomicReference<Host.Registration> leading = new AtomicReference<>();
        messages.read(config.messageTimeout()).thenCompose(bytes -> {
            HolePunchMessage connect = HolePunchCodec.decode(bytes);
            session.received(connect.type(), nanoTime.getAsLong());
            targets.set(dialable(connect.addresses()));
            if (targets.get().isEmpty()) {
                throw new ProtocolViolationException("dcutr: CONNECT without a dialable address");
            }
            // B dials in the responder role from its listen port, an address of its CONNECT: should its SYN reach
            // our listener (no NAT in between, ours not sent yet) we must lead on the accepted socket, and B's
            // dial may start as soon as our CONNECT arrives there
            leading.set(host.leadInboundFrom(sockets(connect.addresses()),
                    config.messageTimeout().plus(config.dialWindow())));
            messages.write(HolePunchCodec.encode(HolePunchMessage.Type.CONNECT, candidates.get()));
            return messages.read(config.messageTimeout());
        }).thenCompose(bytes -> {
            session.received(HolePunchCodec.decode(bytes).type(), nanoTime.getAsLong());
            roundDialing(relayed.remotePeer());
            return dialer.dial(relayed.remotePeer(), targets.get(), DialOptions.UpgradeRole.INITIATOR,
                    Duration.ZERO, config.dialWindow(), relayed);
        }).whenComplete((direct, failure) -> {
            if (leading.get() != null) {
                leading.get().close();
            }
            roundOver(relayed.remotePeer());
            if (failure != null && session.state() != HolePunchSession.State.DIALING) {
                abort(messages, cause(failure), null, relayed);
                return;
            }
            messages.closeWrite();
            if (session.dialed(failure == null) == HolePunchSession.State.SUCCEEDED) {
                LOG.info("hole punch succeeded peer={} remote={} (peer-initiated)", relayed.remotePeer(),
                        direct.remoteAddress());
                punchedListeners.forEach(l -> l.accept(direct));
            } else {
                LOG.info("hole punch round failed peer={} (peer-initiated): {}", relayed.remotePeer(),
                        cause(failure).getMessage());
            }
        });
    }

    /** The peer's CONNECT addresses we may dial: plain TCP over IP, public unless private ones are allowed. */
    List<Multiaddr> dialable(List<Multiaddr> offered) {
        List<Multiaddr> out = new ArrayList<>();
        for (Multiaddr a : offered) {
            InetSocketAddress socket = tcpSocket(a);
            if (socket == null) {
                continue;
            }
            if (!config.allowPrivateAddresses() && !DialBackPolicy.isPublic(socket.getAddress())) {
                continue;
            }
            Multiaddr plain = a.withoutPeerId();
            if (!out.contains(plain) && out.size() < MAX_TARGETS) {
                out.add(plain);
            }
        }
        return out;
    }

    /**
     * The socket addresses of the peer's CONNECT (at most {@link #MAX_TARGETS}), private ones too: the addresses
     * its punch dial may come from, whether or not we may dial them.
     */
    static List<InetSocketAddress> sockets(List<Multiaddr> offered) {
        List<InetSocketAddress> out = new ArrayList<>();
        for (Multiaddr a : offered) {
            InetSocketAddress socket = tcpSocket(a);
            if (socket != null && !out.contains(socket) && out.size() < MAX_TARGETS) {
                out.add(socket);
            }
        }
        return out;
    }

    /** A plain TCP over IP address with a real port and a unicast host, as a socket address; else null. */
    private static InetSocketAddress tcpSocket(Multiaddr a) {
        if (!a.isTcp() || a.isCircuit()) {
            return null;
        }
        Protocol p = a.components().get(0).protocol();
        if (p != Protocol.IP4 && p != Protocol.IP6) {
            return null;
        }
        InetSocketAddress socket = a.toTcpSocketAddress();
        if (socket.getPort() == 0 || socket.getAddress().isAnyLocalAddress()
                || socket.getAddress().isMulticastAddress()) {
            return null;
        }
        return socket;
    }

    private static Libp2pException cause(Throwable e) {
        Throwable t = e;
        while ((t instanceof java.util.concurrent.CompletionException
                || t instanceof java.util.concurrent.ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t instanceof Libp2pException l ? l : new TransportException(String.valueOf(t.getMessage()), t);
    }

    private static void abort(MessageStream messages, Libp2pException cause, CompletableFuture<Connection> result,
            Connection relayed) {
        LOG.info("hole punch aborted: {} peer={}", cause.getMessage(), relayed.remotePeer());
        messages.reset(cause);
        if (result != null) {
            result.completeExceptionally(cause);
        }
    }
}
