package dev.edgelink.relay.circuit;

import dev.edgelink.libp2p.ConfigurationException;
import dev.edgelink.libp2p.Libp2pException;
import dev.edgelink.libp2p.ProtocolViolationException;
import dev.edgelink.libp2p.host.CircuitDialer;
import dev.edgelink.libp2p.host.Connection;
import dev.edgelink.libp2p.host.DialOptions;
import dev.edgelink.libp2p.host.Host;
import dev.edgelink.libp2p.host.Stream;
import dev.edgelink.libp2p.multiaddr.Multiaddr;
import dev.edgelink.libp2p.multiaddr.Protocol;
import dev.edgelink.libp2p.peer.PeerId;
import dev.edgelink.relay.circuit.pb.CircuitProto.HopMessage;
import dev.edgelink.relay.circuit.pb.CircuitProto.Status;
import dev.edgelink.relay.circuit.pb.CircuitProto.StopMessage;
import io.netty.buffer.ByteBuf;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client side of circuit relay v2, a transport for the {@link Host}: dials
 * {@code .../p2p/RELAY/p2p-circuit/p2p/TARGET} (hop CONNECT), accepts relayed connections (serves
 * {@value Protocols#STOP}) and makes reservations (hop RESERVE). The relayed stream becomes a full connection
 * through {@link Host#upgradeRelayed}: the CONNECT side starts the upgrade (noise initiator), the STOP side
 * answers it.
 */
public final class RelayClient implements CircuitDialer {

    private static final Logger LOG = LoggerFactory.getLogger(RelayClient.class);
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(20);
    private static final Multiaddr CIRCUIT = Multiaddr.fromString("/p2p-circuit");

    private final Host host;
    private volatile Supplier<DialOptions> relayDial = () -> DialOptions.DEFAULT;
    private final Duration timeout;

    private RelayClient(Host host, Duration timeout) {
        this.host = host;
        this.timeout = timeout;
    }

    /** Installs the client on {@code host}: circuit dials and inbound relayed connections. */
    public static RelayClient install(Host host) {
        return install(host, DEFAULT_TIMEOUT);
    }

    /** As {@link #install(Host)}; {@code timeout} bounds each relay exchange. */
    public static RelayClient install(Host host, Duration timeout) {
        RelayClient client = new RelayClient(host, timeout);
        host.setCircuitDialer(client);
        host.setHandler(Protocols.STOP, client::onStop);
        return client;
    }

    public Host host() {
        return host;
    }

    /** The relay part of a circuit address: everything before {@code /p2p-circuit}, which must name the relay. */
    static Multiaddr relayPart(Multiaddr circuit) {
        List<Multiaddr.Component> components = circuit.components();
        StringBuilder text = new StringBuilder();
        for (Multiaddr.Component c : components) {
            if (c.protocol() == Protocol.P2P_CIRCUIT) {
                Multiaddr relay = Multiaddr.fromString(text.toString());
                if (relay.peerId().isEmpty()) {
                    throw new ConfigurationException("circuit address " + circuit
                            + " does not name its relay (expected .../p2p/RELAY/p2p-circuit/p2p/TARGET)");
                }
                return relay;
            }
            text.append(c);
        }
        throw new ConfigurationException("not a circuit address: " + circuit);
    }

    @Override
    public CompletableFuture<Connection> dial(Host h, Multiaddr address) {
        Multiaddr relayAddress;
        PeerId target;
        try {
            relayAddress = relayPart(address);
            target = address.peerId().orElseThrow(() -> new ConfigurationException("circuit address " + address
                    + " does not name its target (expected .../p2p-circuit/p2p/TARGET)"));
        } catch (Libp2pException e) {
            return CompletableFuture.failedFuture(e);
        }
        PeerId relay = relayAddress.peerId().get();
        return hop(relayAddress).thenCompose(stream -> {
            MessageReader reader = new MessageReader(stream, timeout);
            stream.write(CircuitCodec.frame(HopMessage.newBuilder().setType(HopMessage.Type.CONNECT)
                    .setPeer(CircuitCodec.peer(target)).build()));
            return reader.next().thenCompose(body -> {
                HopMessage reply = status(CircuitCodec.decodeHop(body), "connect to " + target + " via " + relay);
                ByteBuf early = reader.detach();
                Multiaddr circuit = relayAddress.encapsulate(CIRCUIT);
                Connection.Path path = new Connection.Path(circuit, circuit, Connection.Transport.CIRCUIT,
                        reply.hasLimit());
                LOG.debug("circuit granted relay={} peer={} limited={}", relay, target, reply.hasLimit());
                return host.upgradeRelayed(stream, early, target, Connection.Direction.OUTBOUND, path);
            }).whenComplete((c, error) -> {
                if (error != null) {
                    stream.reset();
                }
            });
        });
    }

    /**
     * Reserves a slot on the relay at {@code relayAddress} ({@code .../p2p/RELAY}). Fails with a
     * {@link RelayStatusException} if refused, a {@link ProtocolViolationException} if the voucher is bad.
     */
    public CompletableFuture<RelayReservation> reserve(Multiaddr relayAddress) {
        Optional<PeerId> relay = relayAddress.peerId();
        if (relay.isEmpty()) {
            return CompletableFuture.failedFuture(new ConfigurationException("relay address " + relayAddress
                    + " must end in /p2p/RELAY"));
        }
        return hop(relayAddress).thenCompose(stream -> {
            MessageReader reader = new MessageReader(stream, timeout);
            stream.write(CircuitCodec.frame(HopMessage.newBuilder().setType(HopMessage.Type.RESERVE).build()));
            stream.closeWrite();
            return reader.next().thenApply(body -> {
                reader.detach().release();
                stream.reset();
                HopMessage reply = status(CircuitCodec.decodeHop(body), "reservation on " + relay.get());
                return reservation(relay.get(), relayAddress, reply, stream.connection());
            });
        });
    }

    private RelayReservation reservation(PeerId relay, Multiaddr relayAddress, HopMessage reply, Connection c) {
        if (!reply.hasReservation()) {
            throw new ProtocolViolationException("relay " + relay + " accepted the reservation but sent none");
        }
        var r = reply.getReservation();
        Optional<Voucher> voucher = r.hasVoucher()
                ? Optional.of(Voucher.open(r.getVoucher().toByteArray(), relay, host.peerId())) : Optional.empty();
        Optional<CircuitLimit> limit = reply.hasLimit() ? Optional.of(CircuitLimit.fromProto(reply.getLimit()))
                : Optional.empty();
        return new RelayReservation(relay, relayAddress, Instant.ofEpochSecond(r.getExpire()),
                CircuitCodec.addresses(r.getAddrsList()), limit, voucher, c);
    }

    /**
     * How connections to relays are dialed (when none is open): e.g. from the listen port, so that the relays'
     * observations of that one socket show our NAT's mapping of it. Default {@link DialOptions#DEFAULT}.
     */
    public void setRelayDialOptions(Supplier<DialOptions> options) {
        this.relayDial = options;
    }

    private CompletableFuture<Stream> hop(Multiaddr relayAddress) {
        return host.connect(relayAddress, relayDial.get()).thenCompose(c -> c.newStream(Protocols.HOP))
                .orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
                .thenCompose(MessageReader::onItsLoop);
    }

    private static HopMessage status(HopMessage reply, String what) {
        if (reply.getType() != HopMessage.Type.STATUS) {
            throw new ProtocolViolationException(what + ": relay answered with " + reply.getType());
        }
        if (reply.getStatus() != Status.OK) {
            throw new RelayStatusException(what, reply.getStatus());
        }
        return reply;
    }

    private void onStop(Stream stream) {
        Connection relayConnection = stream.connection();
        MessageReader reader = new MessageReader(stream, timeout);
        reader.next().whenComplete((body, error) -> {
            if (error != null) {
                LOG.debug("stop request not read relay={}: {}", relayConnection.remotePeer(), error.getMessage());
                stream.reset();
                return;
            }
            StopMessage request;
            PeerId source;
            try {
                request = CircuitCodec.decodeStop(body);
                if (request.getType() != StopMessage.Type.CONNECT || !request.hasPeer()) {
                    stopAnswer(stream, Status.UNEXPECTED_MESSAGE);
                    return;
                }
                source = CircuitCodec.peerId(request.getPeer());
            } catch (Libp2pException e) {
                stopAnswer(stream, Status.MALFORMED_MESSAGE);
                return;
            }
            if (relayConnection.isRelayed()) {
                stopAnswer(stream, Status.PERMISSION_DENIED);
                return;
            }
            stream.write(CircuitCodec.frame(StopMessage.newBuilder().setType(StopMessage.Type.STATUS)
                    .setStatus(Status.OK).build()));
            Multiaddr circuit = relayConnection.remoteAddress().withPeerId(relayConnection.remotePeer())
                    .encapsulate(CIRCUIT);
            Connection.Path path = new Connection.Path(circuit, circuit, Connection.Transport.CIRCUIT,
                    request.hasLimit());
            LOG.debug("relayed connection arriving relay={} peer={}", relayConnection.remotePeer(), source);
            host.upgradeRelayed(stream, reader.detach(), source, Connection.Direction.INBOUND, path)
                    .whenComplete((c, e) -> {
                        if (e != null) {
                            LOG.info("relayed connection failed relay={} peer={}: {}", relayConnection.remotePeer(),
                                    source, e.getMessage());
                        }
                    });
        });
    }

    private void stopAnswer(Stream stream, Status status) {
        stream.write(CircuitCodec.frame(StopMessage.newBuilder().setType(StopMessage.Type.STATUS)
                .setStatus(status).build()));
        stream.closeWrite();
        stream.eventLoop().schedule(stream::reset, timeout.toMillis(), TimeUnit.MILLISECONDS);
    }
}
