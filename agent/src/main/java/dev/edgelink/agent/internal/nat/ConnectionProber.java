package dev.edgelink.agent.internal.nat;

import dev.edgelink.dataplane.backend.PathKind;
import dev.edgelink.dataplane.backend.PeerView;
import dev.edgelink.dataplane.path.PathProber;
import dev.edgelink.dataplane.path.ProbeResult;
import dev.edgelink.dataplane.tunnel.TunnelService;
import dev.edgelink.libp2p.host.Connection;
import dev.edgelink.libp2p.host.Host;
import dev.edgelink.libp2p.host.Stream;
import dev.edgelink.libp2p.peer.PeerId;
import dev.edgelink.libp2p.ping.PingService;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Probes the userspace rungs: {@code direct} works when a direct connection to the peer answers a libp2p ping,
 * {@code relayed} when a relayed one does, and either only while the peer's tunnel stream is up (without it no
 * packet crosses). Each rung is judged on its own connection, so a dead direct connection fails {@code direct}
 * while {@code relayed} stays verified: the fall is make-before-break. Fails at once when there is no such
 * connection, so a path without one is left after {@code probeFailures} rounds. The rung whose connection carries
 * the tunnel stream is probed through the tunnel itself (a PING queued behind the peer's packets), so a queue, a
 * stream or a TUN reader that does not move packets fails it although the connection still answers pings.
 */
public final class ConnectionProber implements PathProber {
    private final Host host;
    private final PingService ping;
    private final Supplier<Optional<TunnelService>> service;
    private final Function<String, Optional<PeerId>> peerOf;
    private final Duration timeout;
    private volatile java.util.function.Consumer<String> missing = n -> { };
    private volatile java.util.function.Consumer<String> failing = n -> { };

    public ConnectionProber(Host host, PingService ping, Supplier<Optional<TunnelService>> service,
            Function<String, Optional<PeerId>> peerOf, Duration timeout) {
        this.host = host;
        this.ping = ping;
        this.service = service;
        this.peerOf = peerOf;
        this.timeout = timeout;
    }

    @Override
    public CompletableFuture<ProbeResult> probe(PeerView peer, PathKind path) {
        CompletableFuture<ProbeResult> result = probeOnce(peer, path);
        if (path != PathKind.DIRECT) {
            return result;
        }
        // a direct path that misses a probe may be about to fall to relayed: its connection is made now, so that
        // the fall finds it ready (make before break)
        return result.thenApply(r -> {
            if (!r.ok()) {
                failing.accept(peer.nodeName());
            }
            return r;
        });
    }

    private CompletableFuture<ProbeResult> probeOnce(PeerView peer, PathKind path) {
        Optional<PeerId> id = peerOf.apply(peer.nodeName());
        if (id.isEmpty()) {
            return done(ProbeResult.failure(path + ": no peer id known for " + peer.nodeName()));
        }
        Optional<Connection> c = path == PathKind.DIRECT ? host.directConnection(id.get())
                : host.relayedConnection(id.get());
        if (c.isEmpty()) {
            // the path needs a connection it does not have (a fall to relayed, a peer woken from idle): ask for it
            missing.accept(peer.nodeName());
            return done(ProbeResult.failure(path + ": no " + path + " connection to " + peer.nodeName()));
        }
        if (service.get().map(s -> !s.connected(peer.nodeName())).orElse(true)) {
            return done(ProbeResult.failure(path + ": no tunnel stream to " + peer.nodeName() + " yet"));
        }
        TunnelService tunnel = service.get().orElseThrow();
        if (tunnel.activeStream(peer.nodeName()).filter(st -> st instanceof Stream hs && hs.connection() == c.get())
                .isPresent()) {
            // the connection carries the tunnel: probe through the peer's packet queues, as pod packets go, so a
            // stream or a TUN reader that does not move packets fails its probes
            return tunnel.probe(peer.nodeName(), timeout)
                    .thenApply(r -> r.ok() ? r : ProbeResult.failure(path + ": " + r.detail()));
        }
        return ping.ping(c.get(), 1, timeout)
                .handle((rtts, e) -> e != null || rtts.isEmpty()
                        ? ProbeResult.failure(path + ": no ping answer from " + peer.nodeName() + " within "
                                + timeout.toMillis() + " ms")
                        : ProbeResult.success(rtts.get(0).toNanos()));
    }

    /** Told the node name of a peer whose probed rung has no connection (the connection manager's demand). */
    public void setMissingConnectionListener(java.util.function.Consumer<String> listener) {
        this.missing = listener;
    }

    /** Told the node name of a peer whose direct rung missed a probe (the connection manager readies relayed). */
    public void setDirectFailingListener(java.util.function.Consumer<String> listener) {
        this.failing = listener;
    }

    private static CompletableFuture<ProbeResult> done(ProbeResult r) {
        return CompletableFuture.completedFuture(r);
    }
}
