package dev.edgelink.libp2p.ping;

import dev.edgelink.libp2p.host.Connection;
import dev.edgelink.libp2p.host.Host;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes connections that stopped carrying anything. Every {@code interval} each open connection of the host is
 * pinged once; a connection whose pings time out {@code misses} times in a row is aborted (reset, see
 * {@link Connection#abort}), so whatever depends on it
 * (relay reservations, circuits through it, the tunnel stream on it) sees it go and makes a new one.
 *
 * <p>TCP on its own notices such a connection only after many minutes of retransmissions, or never when we have
 * nothing to send: a NAT router that forgot its mapping (restarted, conntrack flushed, mapping expired) drops what
 * the other side sends and gives what we send a new public port the other side does not know. Only a timeout
 * counts as a miss: a peer that answers ping with an error or does not speak ping at all is alive.
 */
public final class ConnectionWatchdog implements AutoCloseable {

    /**
     * @param interval time between two pings of one connection
     * @param timeout how long one ping may take (at most {@code interval})
     * @param misses timed-out pings in a row after which the connection is closed
     */
    public record Settings(Duration interval, Duration timeout, int misses) {
        /** A dead connection is closed 15 to 20 s after it died. */
        public static final Settings DEFAULT = new Settings(Duration.ofSeconds(5), Duration.ofSeconds(5), 3);

        public Settings {
            if (interval.isNegative() || interval.isZero() || timeout.isNegative() || timeout.isZero()
                    || timeout.compareTo(interval) > 0 || misses < 1) {
                throw new IllegalArgumentException("need 0 < timeout <= interval and misses >= 1");
            }
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(ConnectionWatchdog.class);

    private final Host host;
    private final PingService ping;
    private final Settings settings;
    private final Map<Connection, Integer> missed = new ConcurrentHashMap<>();
    private final Set<Connection> inFlight = ConcurrentHashMap.newKeySet();
    private final ScheduledFuture<?> task;

    private ConnectionWatchdog(Host host, PingService ping, Settings settings, ScheduledExecutorService scheduler) {
        this.host = host;
        this.ping = ping;
        this.settings = settings;
        this.task = scheduler.scheduleWithFixedDelay(this::round, settings.interval().toNanos(),
                settings.interval().toNanos(), TimeUnit.NANOSECONDS);
    }

    /**
     * Starts watching every connection {@code host} has, now and later, on {@code scheduler}. A round that throws is
     * the scheduler's to report: one from {@link dev.edgelink.libp2p.threads.TaskGuard#newScheduler} counts it and
     * runs the next round (a round starts from the connections as they are, so nothing is lost by skipping one).
     */
    public static ConnectionWatchdog start(Host host, PingService ping, Settings settings,
            ScheduledExecutorService scheduler) {
        return new ConnectionWatchdog(host, ping, settings, scheduler);
    }

    /** One ping per open connection that has none in flight. */
    void round() {
        missed.keySet().removeIf(c -> !c.isOpen());
        for (Connection c : host.connections()) {
            if (c.isOpen() && inFlight.add(c)) {
                try {
                    ping.ping(c, 1, settings.timeout()).whenComplete((rtts, error) -> judged(c, error));
                } catch (RuntimeException e) {
                    inFlight.remove(c); // else this connection would never be pinged again
                    throw e;
                }
            }
        }
    }

    private void judged(Connection c, Throwable error) {
        inFlight.remove(c);
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (!(cause instanceof PingTimeoutException)) {
            missed.remove(c);
            return;
        }
        int n = missed.merge(c, 1, Integer::sum);
        if (n < settings.misses() || !c.isOpen()) {
            return;
        }
        missed.remove(c);
        LOG.info("connection closed: {} pings in a row unanswered within {} ms (peer={}, remote={}, relayed={})", n,
                settings.timeout().toMillis(), c.remotePeer(), c.remoteAddress(), c.isRelayed());
        c.abort();
    }

    /** Connections with at least one missed ping now, and how many in a row (for tests and diagnostics). */
    public Map<Connection, Integer> missed() {
        return Map.copyOf(missed);
    }

    @Override
    public void close() {
        task.cancel(false);
    }
}
