package dev.edgelink.relay.circuit;

import com.google.protobuf.ByteString;
import dev.edgelink.libp2p.Libp2pException;
import dev.edgelink.libp2p.ProtocolViolationException;
import dev.edgelink.libp2p.host.Connection;
import dev.edgelink.libp2p.host.Host;
import dev.edgelink.libp2p.host.HostListener;
import dev.edgelink.libp2p.host.Stream;
import dev.edgelink.libp2p.multiaddr.Multiaddr;
import dev.edgelink.libp2p.multiaddr.Protocol;
import dev.edgelink.libp2p.peer.PeerId;
import dev.edgelink.relay.circuit.pb.CircuitProto.HopMessage;
import dev.edgelink.relay.circuit.pb.CircuitProto.Reservation;
import dev.edgelink.relay.circuit.pb.CircuitProto.Status;
import dev.edgelink.relay.circuit.pb.CircuitProto.StopMessage;
import io.netty.buffer.ByteBuf;
import java.time.Instant;
import java.time.InstantSource;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The relay side of circuit relay v2: serves {@value Protocols#HOP}. A peer reserves a slot (RESERVE) and is then
 * reachable through us; a source asks to be connected (CONNECT) to a peer with a reservation, we open
 * {@value Protocols#STOP} to that peer, and on its OK splice the two streams ({@link Circuit}).
 *
 * <p>Limits are the {@link RelayConfig}'s and are enforced here only: the allow-list, the counts of reservations
 * (in all and per source IP) and of circuits (in all and per peer), and the bytes circuits hold ({@link
 * CircuitMemory}; while circuits are paused for it no circuit is admitted). A reservation ends when it expires
 * or when the reserving peer's last connection to us closes; a circuit ends when either side drops it. Every slot
 * taken is given back on every path, failures included.
 */
public final class RelayServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RelayServer.class);

    private final Host host;
    private final RelayConfig config;
    private final InstantSource clock;
    private final ReservationTable reservations;
    private final Map<PeerId, Integer> circuitsPerPeer = new ConcurrentHashMap<>();
    private final HostListener listener;
    private final CircuitMemory memory;
    private int circuits;

    private RelayServer(Host host, RelayConfig config, InstantSource clock) {
        this.host = host;
        this.config = config;
        this.memory = new CircuitMemory(config.bufferBytes());
        this.reservations = new ReservationTable(config.maxReservations(), config.maxReservationsPerIp());
        this.clock = clock;
        this.listener = new HostListener() {
            @Override
            public void connectionClosed(Connection connection) {
                dropIfGone(connection.remotePeer());
            }
        };
    }

    /** Starts serving the hop protocol on {@code host}. */
    public static RelayServer start(Host host, RelayConfig config) {
        return start(host, config, InstantSource.system());
    }

    static RelayServer start(Host host, RelayConfig config, InstantSource clock) {
        RelayServer server = new RelayServer(host, config, clock);
        host.addListener(server.listener);
        host.setHandler(Protocols.HOP, server::onStream);
        LOG.info("relay serving protocol={} limitedMode={}", Protocols.HOP, config.nonMemberLimit().isPresent());
        return server;
    }

    /** Live reservations (expired ones are not counted). */
    public int reservationCount() {
        return reservations.live(clock.instant());
    }

    /** What all circuits hold now, with its limit ({@link RelayConfig#bufferBytes}). */
    public dev.edgelink.libp2p.mux.ByteBudget memory() {
        return memory.budget();
    }

    /** Circuits ended since start because their bytes would have taken the relay past {@code bufferBytes}. */
    public long circuitsResetForMemory() {
        return memory.circuitsReset();
    }

    /** Circuits running or being set up. */
    public synchronized int circuitCount() {
        return circuits;
    }

    /** Whether {@code peer} holds a live reservation. */
    public boolean hasReservation(PeerId peer) {
        return reservations.has(peer, clock.instant());
    }

    private void onStream(Stream stream) {
        MessageReader reader = new MessageReader(stream, config.streamTimeout());
        reader.next().whenComplete((body, error) -> {
            if (error != null) {
                LOG.debug("hop request not read peer={}: {}", stream.connection().remotePeer(), error.getMessage());
                stream.reset();
                return;
            }
            HopMessage message;
            try {
                message = CircuitCodec.decodeHop(body);
            } catch (ProtocolViolationException e) {
                answer(stream, Status.MALFORMED_MESSAGE, e.getMessage());
                return;
            }
            switch (message.getType()) {
                case RESERVE -> reserve(stream);
                case CONNECT -> connect(stream, reader, message);
                default -> answer(stream, Status.UNEXPECTED_MESSAGE, "hop message of type " + message.getType());
            }
        });
    }

    private void answer(Stream stream, Status status, String why) {
        LOG.info("hop request refused status={} peer={} reason={}", status, stream.connection().remotePeer(), why);
        stream.write(CircuitCodec.frame(HopMessage.newBuilder().setType(HopMessage.Type.STATUS).setStatus(status)
                .build()));
        stream.closeWrite();
        stream.eventLoop().schedule(stream::reset, config.streamTimeout().toMillis(), TimeUnit.MILLISECONDS);
    }

    private boolean member(PeerId peer) {
        return config.members().test(peer);
    }

    private void reserve(Stream stream) {
        Connection connection = stream.connection();
        PeerId peer = connection.remotePeer();
        if (connection.isRelayed()) {
            answer(stream, Status.PERMISSION_DENIED, "reservation over a relayed connection");
            return;
        }
        if (!member(peer) && config.nonMemberLimit().isEmpty()) {
            answer(stream, Status.RESERVATION_REFUSED, "not a member");
            return;
        }
        String ip = ipOf(connection.remoteAddress());
        Instant expires = clock.instant().plus(config.reservationTtl()).truncatedTo(ChronoUnit.SECONDS);
        Optional<String> full = reservations.admit(peer, ip, expires, clock.instant());
        if (full.isPresent()) {
            answer(stream, Status.RESOURCE_LIMIT_EXCEEDED, full.get());
            return;
        }
        long expireSeconds = expires.getEpochSecond();
        Reservation.Builder r = Reservation.newBuilder().setExpire(expireSeconds)
                .setVoucher(ByteString.copyFrom(new Voucher(host.peerId(), peer, expireSeconds)
                        .seal(host.config().identity())));
        for (Multiaddr a : host.listenAddresses()) {
            r.addAddrs(ByteString.copyFrom(a.withPeerId(host.peerId()).toBytes()));
        }
        HopMessage.Builder reply = HopMessage.newBuilder().setType(HopMessage.Type.STATUS).setStatus(Status.OK)
                .setReservation(r);
        if (!member(peer)) {
            reply.setLimit(config.nonMemberLimit().get().toProto());
        }
        stream.write(CircuitCodec.frame(reply.build()));
        stream.closeWrite();
        // the client resets or closes the stream once it has the answer; one that keeps it open loses it
        stream.eventLoop().schedule(stream::reset, config.streamTimeout().toMillis(), TimeUnit.MILLISECONDS);
        LOG.info("reservation accepted peer={} remote={} expires={}", peer, connection.remoteAddress(), expires);
        if (!connection.isOpen()) {
            dropIfGone(peer);
        }
    }

    private void dropIfGone(PeerId peer) {
        if (host.connection(peer).isEmpty() && reservations.remove(peer)) {
            LOG.info("reservation dropped peer={} reason=disconnected", peer);
        }
    }

    private static String ipOf(Multiaddr address) {
        return address.valueOf(Protocol.IP4).or(() -> address.valueOf(Protocol.IP6)).orElse(address.toString());
    }

    private void connect(Stream stream, MessageReader reader, HopMessage message) {
        Connection from = stream.connection();
        PeerId source = from.remotePeer();
        if (!message.hasPeer()) {
            answer(stream, Status.MALFORMED_MESSAGE, "CONNECT without a peer");
            return;
        }
        PeerId target;
        try {
            target = CircuitCodec.peerId(message.getPeer());
        } catch (Libp2pException e) {
            answer(stream, Status.MALFORMED_MESSAGE, "CONNECT with a bad peer id");
            return;
        }
        if (from.isRelayed()) {
            answer(stream, Status.PERMISSION_DENIED, "CONNECT over a relayed connection");
            return;
        }
        boolean unlimited = member(source) && member(target);
        if (!unlimited && config.nonMemberLimit().isEmpty()) {
            answer(stream, Status.PERMISSION_DENIED, "not a member");
            return;
        }
        if (!hasReservation(target)) {
            answer(stream, Status.NO_RESERVATION, "target " + target + " has no reservation");
            return;
        }
        Optional<Connection> to = host.directConnection(target);
        if (to.isEmpty()) {
            answer(stream, Status.CONNECTION_FAILED, "target " + target + " not connected");
            return;
        }
        if (memory.full()) {
            answer(stream, Status.RESOURCE_LIMIT_EXCEEDED, "relay memory: circuits are paused, more than half of "
                    + "relay.bufferBytes=" + memory.budget().limit() + " is waiting to be sent on");
            return;
        }
        Optional<String> full = admitCircuit(source, target);
        if (full.isPresent()) {
            answer(stream, Status.RESOURCE_LIMIT_EXCEEDED, full.get());
            return;
        }
        // from here on what the source sends is the circuit's: kept in the stream, charged, until it is spliced
        stream.chargeReceiveWindow(memory.budget());
        stream.setAutoRead(false);
        CircuitLimit limit = unlimited ? null : config.nonMemberLimit().get();
        openStop(to.get(), source, target, limit).whenComplete((stop, error) -> {
            if (error != null) {
                release(source, target);
                answer(stream, Status.CONNECTION_FAILED, "target " + target + ": " + rootMessage(error));
                return;
            }
            HopMessage.Builder ok = HopMessage.newBuilder().setType(HopMessage.Type.STATUS).setStatus(Status.OK);
            if (limit != null) {
                ok.setLimit(limit.toProto());
            }
            stream.write(CircuitCodec.frame(ok.build()));
            splice(stream, reader, stop, source, target, limit);
        });
    }

    /** The target's stop stream after its OK, with the bytes it sent behind the OK. */
    private record Stop(Stream stream, ByteBuf early) {
    }

    private CompletableFuture<Stop> openStop(Connection to, PeerId source, PeerId target, CircuitLimit limit) {
        return to.newStream(Protocols.STOP)
                .orTimeout(config.streamTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .thenCompose(MessageReader::onItsLoop)
                .thenCompose(stop -> {
                    stop.chargeReceiveWindow(memory.budget());
                    MessageReader reader = new MessageReader(stop, config.streamTimeout());
                    StopMessage.Builder m = StopMessage.newBuilder().setType(StopMessage.Type.CONNECT)
                            .setPeer(CircuitCodec.peer(source));
                    if (limit != null) {
                        m.setLimit(limit.toProto());
                    }
                    stop.write(CircuitCodec.frame(m.build()));
                    return reader.next().thenApply(body -> {
                        StopMessage reply = CircuitCodec.decodeStop(body);
                        if (reply.getType() != StopMessage.Type.STATUS || reply.getStatus() != Status.OK) {
                            throw new RelayStatusException("stop by " + target, reply.getType()
                                    == StopMessage.Type.STATUS ? reply.getStatus() : Status.UNEXPECTED_MESSAGE);
                        }
                        return new Stop(stop, reader.detach());
                    }).whenComplete((ok, error) -> {
                        if (error != null) {
                            stop.reset();
                        }
                    });
                });
    }

    private void splice(Stream hop, MessageReader hopReader, Stop stop, PeerId source, PeerId target,
            CircuitLimit limit) {
        hop.eventLoop().execute(() -> {
            ByteBuf early = hopReader.detach();
            Circuit circuit = new Circuit(hop, stop.stream(), limit, memory, () -> {
                release(source, target);
                LOG.info("circuit closed source={} target={}", source, target);
            });
            LOG.info("circuit opened source={} target={} limited={}", source, target, limit != null);
            circuit.start(early, stop.early());
        });
    }

    /** Takes a circuit slot for the pair, or says which limit is full. */
    private synchronized Optional<String> admitCircuit(PeerId source, PeerId target) {
        if (circuits >= config.maxCircuits()) {
            return Optional.of("circuit limit: relay.maxCircuits=" + config.maxCircuits());
        }
        for (PeerId end : List.of(source, target)) {
            if (circuitsPerPeer.getOrDefault(end, 0) >= config.maxCircuitsPerPeer()) {
                return Optional.of("circuit limit: relay.maxCircuitsPerPeer=" + config.maxCircuitsPerPeer()
                        + " reached by " + end);
            }
        }
        circuits++;
        circuitsPerPeer.merge(source, 1, Integer::sum);
        circuitsPerPeer.merge(target, 1, Integer::sum);
        return Optional.empty();
    }

    private synchronized void release(PeerId source, PeerId target) {
        circuits--;
        circuitsPerPeer.computeIfPresent(source, (p, n) -> n > 1 ? n - 1 : null);
        circuitsPerPeer.computeIfPresent(target, (p, n) -> n > 1 ? n - 1 : null);
    }

    private static String rootMessage(Throwable error) {
        Throwable t = error;
        while (t.getCause() != null && t != t.getCause()) {
            t = t.getCause();
        }
        return t instanceof TimeoutException ? "no answer in time" : String.valueOf(t.getMessage());
    }

    @Override
    public void close() {
        host.removeHandler(Protocols.HOP);
        host.removeListener(listener);
        reservations.clear();
    }
}
