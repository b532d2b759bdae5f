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
 * first, the kernel hands it to the listening socket). That watch starts when the round does (a direct
 * connection already open counts too), before any delay of our own dials: B dials half a relay round trip after
 * its SYNC, but A dials as soon as the SYNC arrives, and over a direct path shorter than the relayed one A's
 * connection can be up before B's first connect().
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

    /**
     * Watches for a direct connection to {@code peer} from now on (one already open counts), and dials the
     * targets after {@code delay}, for {@code window}.
     */
    CompletableFuture<Connection> dial(PeerId peer, List<Multiaddr> targets, DialOptions.UpgradeRole role,
            Duration delay, Duration window, Connection coordination) {
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
        result.whenComplete((c, e) -> host.removeListener(watcher));
        host.directConnection(peer).filter(c -> c != coordination).ifPresent(result::complete);
        if (delay.isZero()) {
            start(peer, targets, role, window, coordination, result); // A: at once, not after a scheduler hop
        } else {
            scheduler.schedule(() -> start(peer, targets, role, window, coordination, result), delay.toNanos(),
                    TimeUnit.NANOSECONDS);
        }
        return result;
    }

    private void start(PeerId peer, List<Multiaddr> targets, DialOptions.UpgradeRole role, Duration window,
            Connection coordination, CompletableFuture<Connection> result) {
        long deadline = nanoTime.getAsLong() + window.toNanos();
        Round round = new Round(result, window);
        // the window bounds new connect() attempts; a socket that connected in time may finish its upgrade
        scheduler.schedule(round::expire, window.toNanos(), TimeUnit.NANOSECONDS);
        for (Multiaddr target : targets) {
            attempt(peer, target, role, deadline, coordination, round);
        }
    }

    /** One round's bookkeeping: it fails once the window is over and no attempt is still in flight. */
    private static final class Round {
        private final CompletableFuture<Connection> result;
        private final Duration window;
        private int inFlight;
        private boolean expired;

        Round(CompletableFuture<Connection> result, Duration window) {
            this.result = result;
            this.window = window;
        }

        synchronized void started() {
            inFlight++;
        }

        void ended() {
            synchronized (this) {
                inFlight--;
            }
            failIfOver();
        }

        void expire() {
            synchronized (this) {
                expired = true;
            }
            failIfOver();
        }

        private void failIfOver() {
            boolean over;
            synchronized (this) {
                over = expired && inFlight == 0;
            }
            if (over) {
                result.completeExceptionally(new TransportException("hole punch: no direct connection within "
                        + window.toMillis() + " ms"));
            }
        }
    }

    private void attempt(PeerId peer, Multiaddr target, DialOptions.UpgradeRole role, long deadline,
            Connection coordination, Round round) {
        long remaining = deadline - nanoTime.getAsLong();
        if (round.result.isDone() || remaining <= 0) {
            return;
        }
        DialOptions options = DialOptions.holePunch(role, Duration.ofNanos(Math.max(remaining, 1_000_000)));
        round.started();
        host.connect(target.withPeerId(peer), options).whenComplete((c, error) -> {
            if (error == null && c != coordination) {
                round.result.complete(c);
            } else {
                scheduler.schedule(() -> attempt(peer, target, role, deadline, coordination, round),
                        retryInterval.toNanos(), TimeUnit.NANOSECONDS);
            }
            round.ended();
        });
    }
}
