package dev.edgelink.relay.dcutr;

import dev.edgelink.libp2p.TransportException;
import dev.edgelink.libp2p.host.Connection;
import dev.edgelink.libp2p.host.DialOptions;
import dev.edgelink.libp2p.host.Host;
import dev.edgelink.libp2p.host.HostListener;
import dev.edgelink.libp2p.multiaddr.Multiaddr;
import dev.edgelink.libp2p.peer.PeerId;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * One round's dialing: connect() to every target from our listen port, and again every {@code retryInterval}
 * after a fast failure (RST), until the window closes. The round succeeds with the first direct connection to
 * the peer, ours or one the peer's SYN opened on our listener (without NAT in between, or when its SYN came
 * first, the kernel hands it to the listening socket).
 */
final class PunchDialer {

    private final Host host;
    private final ScheduledExecutorService scheduler;
    private final LongSupplier nanoTime;
    private final Duration retryInterval;

    PunchDialer(Host host, ScheduledExecutorService scheduler, LongSupplier nanoTime, Duration retryInterval) {
        this.host = host;
        this.scheduler = scheduler;
        this.nanoTime = nanoTime;
        this.retryInterval = retryInterval;
    }

    CompletableFuture<Connection> dial(PeerId peer, List<Multiaddr> targets, DialOptions.UpgradeRole role,
            Duration window, Connection coordination) {
        CompletableFuture<Connection> result = new CompletableFuture<>();
        HostListener watcher = new HostListener() {
            @Override
            public void connectionOpened(Connection c) {
                if (c.remotePeer().equals(peer) && c != coordination && !c.remoteAddress().isCircuit()) {
                    result.complete(c);
                }
            }
        };
        host.addListener(watcher);
        long deadline = nanoTime.getAsLong() + window.toNanos();
        scheduler.schedule(() -> result.completeExceptionally(new TransportException("hole punch: no direct "
                + "connection to " + peer + " within " + window.toMillis() + " ms")), window.toNanos(),
                TimeUnit.NANOSECONDS);
        result.whenComplete((c, e) -> host.removeListener(watcher));
        for (Multiaddr target : targets) {
            attempt(peer, target, role, deadline, coordination, result);
        }
        return result;
    }

    private void attempt(PeerId peer, Multiaddr target, DialOptions.UpgradeRole role, long deadline,
            Connection coordination, CompletableFuture<Connection> result) {
        long remaining = deadline - nanoTime.getAsLong();
        if (result.isDone() || remaining <= 0) {
            return;
        }
        DialOptions options = DialOptions.holePunch(role, Duration.ofNanos(Math.max(remaining, 1_000_000)));
        host.connect(target.withPeerId(peer), options).whenComplete((c, error) -> {
            if (error == null && c != coordination) {
                result.complete(c);
                return;
            }
            scheduler.schedule(() -> attempt(peer, target, role, deadline, coordination, result),
                    retryInterval.toNanos(), TimeUnit.NANOSECONDS);
        });
    }
}
