package dev.edgelink.relay.autonat;

import dev.edgelink.libp2p.Libp2pException;
import dev.edgelink.libp2p.ProtocolViolationException;
import dev.edgelink.libp2p.host.Connection;
import dev.edgelink.libp2p.host.Host;
import dev.edgelink.libp2p.host.Stream;
import dev.edgelink.libp2p.multiaddr.Multiaddr;
import dev.edgelink.relay.autonat.AutonatMessage.DialResponse;
import dev.edgelink.relay.autonat.AutonatMessage.ResponseStatus;
import dev.edgelink.relay.wire.MessageStream;
import java.net.InetAddress;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The AutoNAT v1 server ({@code /libp2p/autonat/1.0.0}): a peer asks to be dialed back, we dial the addresses it
 * gave that are on the IP its connection comes from and answer OK with the address that worked, E_DIAL_ERROR
 * when none did, E_DIAL_REFUSED when policy or a rate limit says no, E_BAD_REQUEST for a request that is not
 * about the asking peer. A malformed or oversized message resets the stream. One request per stream.
 */
public final class AutonatServer {

    public static final String PROTOCOL = "/libp2p/autonat/1.0.0";

    private static final Logger LOG = LoggerFactory.getLogger(AutonatServer.class);

    private final AutonatServerConfig config;
    private final DialBack dialBack;
    private final ScheduledExecutorService scheduler;
    private final LongSupplier nanoTime;
    private final RateLimiter limiter;
    private final DialBackPolicy policy;

    public AutonatServer(AutonatServerConfig config, DialBack dialBack, ScheduledExecutorService scheduler,
            LongSupplier nanoTime) {
        this.config = config;
        this.dialBack = dialBack;
        this.scheduler = scheduler;
        this.nanoTime = nanoTime;
        this.limiter = new RateLimiter(config.perPeerRequests(), config.globalRequests(), config.window().toNanos());
        this.policy = new DialBackPolicy(config.allowPrivateAddresses(), config.maxAddressesDialed());
    }

    /** Serves AutoNAT on {@code host}. */
    public void register(Host host) {
        host.setHandler(PROTOCOL, this::serve);
    }

    private void serve(Stream stream) {
        MessageStream messages = MessageStream.attach(stream, AutonatCodec.MAX_MESSAGE, scheduler);
        messages.read(config.readTimeout())
                .thenCompose(bytes -> answer(stream.connection(), AutonatCodec.decode(bytes)))
                .whenComplete((response, error) -> {
                    if (error != null) {
                        Throwable cause = error.getCause() != null ? error.getCause() : error;
                        LOG.debug("autonat request dropped: {} peer={}", cause.getMessage(),
                                stream.connection().remotePeer());
                        messages.reset(cause instanceof Libp2pException ? (Libp2pException) cause
                                : new ProtocolViolationException(String.valueOf(cause.getMessage())));
                        return;
                    }
                    messages.write(AutonatCodec.encodeResponse(response));
                    messages.closeWrite();
                });
    }

    /** Decides and, if allowed, dials. Never fails for a well-formed request: refusals are responses. */
    CompletableFuture<DialResponse> answer(Connection connection, AutonatMessage message) {
        if (!(message instanceof AutonatMessage.Dial dial)) {
            throw new ProtocolViolationException("autonat: expected DIAL, got " + message.getClass().getSimpleName());
        }
        if (!dial.peer().equals(connection.remotePeer())) {
            return done(ResponseStatus.E_BAD_REQUEST, "the DIAL names another peer than the one asking");
        }
        if (connection.remoteAddress().isCircuit() || !connection.remoteAddress().isTcp()) {
            return done(ResponseStatus.E_DIAL_REFUSED, "request over a relayed connection: no observed address");
        }
        InetAddress observed = connection.remoteAddress().toTcpSocketAddress().getAddress();
        if (!policy.acceptsRequester(observed)) {
            return done(ResponseStatus.E_DIAL_REFUSED, "requester's address is private");
        }
        List<Multiaddr> targets = policy.select(observed, dial.addresses());
        if (targets.isEmpty()) {
            return done(ResponseStatus.E_DIAL_REFUSED, "no dialable address on the observed IP");
        }
        String refused = limiter.tryAcquire(dial.peer(), nanoTime.getAsLong());
        if (refused != null) {
            LOG.info("autonat request refused: {} peer={}", refused, dial.peer());
            return done(ResponseStatus.E_DIAL_REFUSED, refused);
        }
        return dialAll(dial, targets);
    }

    private CompletableFuture<DialResponse> dialAll(AutonatMessage.Dial dial, List<Multiaddr> targets) {
        CompletableFuture<DialResponse> result = new CompletableFuture<>();
        AtomicInteger failures = new AtomicInteger();
        for (Multiaddr target : targets) {
            dialBack.dial(dial.peer(), target, config.dialTimeout()).whenComplete((ok, error) -> {
                if (error == null) {
                    result.complete(new DialResponse(ResponseStatus.OK, "dialed", Optional.of(target)));
                } else if (failures.incrementAndGet() == targets.size()) {
                    result.complete(new DialResponse(ResponseStatus.E_DIAL_ERROR, "all dial-backs failed",
                            Optional.empty()));
                }
            });
        }
        result.thenAccept(r -> LOG.info("autonat dial-back {} peer={} remote={}", r.status(), dial.peer(),
                r.address().map(Multiaddr::toString).orElse(targets.toString())));
        return result;
    }

    private static CompletableFuture<DialResponse> done(ResponseStatus status, String text) {
        return CompletableFuture.completedFuture(new DialResponse(status, text, Optional.empty()));
    }
}
