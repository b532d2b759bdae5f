package dev.edgelink.relay.circuit;

import dev.edgelink.libp2p.host.Connection;
import dev.edgelink.libp2p.host.HostListener;
import dev.edgelink.libp2p.multiaddr.Multiaddr;
import dev.edgelink.libp2p.threads.TaskGuard;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps reservations on a set of relays: reserves on each, renews when three quarters of the time the relay gave
 * have passed, and when a reservation is lost (the connection to the relay closed, e.g. the relay restarted, or a
 * renewal failed) tries again with a backoff from {@link #MIN_RETRY} doubling to {@link #MAX_RETRY}.
 * {@link #circuitAddresses()} is what the node should announce ({@code .../p2p/RELAY/p2p-circuit}).
 *
 * <p>All decisions run on one scheduler thread; the clock is injected (the relay's expire is wall-clock time).
 * Each relay's attempts form a chain (every attempt ends by scheduling the next renewal or retry); a task that throws
 * is counted and logged by the scheduler's {@link TaskGuard} (task {@value #TASK}), and an attempt that throws
 * schedules its retry first, so that no relay is given up by a bug.
 */
public final class Reservations implements AutoCloseable {

    public static final Duration MIN_RETRY = Duration.ofSeconds(1);
    public static final Duration MAX_RETRY = Duration.ofSeconds(60);
    /** The task name of the reservations' thread in the {@link TaskGuard}. */
    public static final String TASK = "reservations";
    private static final Logger LOG = LoggerFactory.getLogger(Reservations.class);

    private final RelayClient client;
    private final List<Multiaddr> relays;
    private final ScheduledExecutorService scheduler;
    private final boolean ownScheduler;
    private final InstantSource clock;
    private final Map<Multiaddr, RelayReservation> held = new ConcurrentHashMap<>();
    private final Map<Multiaddr, Duration> backoff = new ConcurrentHashMap<>();
    private final Map<Multiaddr, ScheduledFuture<?>> timers = new ConcurrentHashMap<>();
    private final List<ReservationListener> listeners = new CopyOnWriteArrayList<>();
    private final HostListener hostListener;
    private volatile boolean closed;

    private Reservations(RelayClient client, List<Multiaddr> relays, ScheduledExecutorService scheduler,
            boolean ownScheduler, InstantSource clock) {
        this.client = client;
        this.relays = List.copyOf(relays);
        this.scheduler = scheduler;
        this.ownScheduler = ownScheduler;
        this.clock = clock;
        this.hostListener = new HostListener() {
            @Override
            public void connectionClosed(Connection connection) {
                scheduler.execute(() -> connectionGone(connection));
            }
        };
    }

    /**
     * Starts keeping reservations on {@code relays} (each {@code .../p2p/RELAY}), on a scheduler of its own
     * ({@code relay-reservations}) whose failures {@code tasks} counts.
     */
    public static Reservations start(RelayClient client, List<Multiaddr> relays, TaskGuard tasks) {
        return start(client, relays, tasks.newScheduler("relay-reservations", TASK), true, InstantSource.system());
    }

    static Reservations start(RelayClient client, List<Multiaddr> relays, ScheduledExecutorService scheduler,
            boolean ownScheduler, InstantSource clock) {
        Reservations r = new Reservations(client, relays, scheduler, ownScheduler, clock);
        client.host().addListener(r.hostListener);
        for (Multiaddr relay : r.relays) {
            scheduler.execute(() -> r.attempt(relay));
        }
        return r;
    }

    public void addListener(ReservationListener listener) {
        listeners.add(listener);
    }

    /** The reservations held now. */
    public List<RelayReservation> held() {
        return List.copyOf(held.values());
    }

    /** Where others can reach us: one {@code .../p2p/RELAY/p2p-circuit} per reservation held. */
    public List<Multiaddr> circuitAddresses() {
        List<Multiaddr> out = new ArrayList<>();
        for (RelayReservation r : held.values()) {
            out.add(r.circuitAddress());
        }
        return out;
    }

    private void attempt(Multiaddr relay) {
        if (closed) {
            return;
        }
        try {
            client.reserve(relay).whenComplete((reservation, error) -> scheduler.execute(() -> {
                if (error != null) {
                    failed(relay, error);
                } else {
                    made(relay, reservation);
                }
            }));
        } catch (RuntimeException e) {
            schedule(relay, backoff.getOrDefault(relay, MIN_RETRY));
            throw e;
        }
    }

    private void made(Multiaddr relay, RelayReservation reservation) {
        if (closed) {
            return;
        }
        backoff.remove(relay);
        RelayReservation previous = held.put(relay, reservation);
        boolean renewed = previous != null && previous.connection() == reservation.connection();
        Duration remaining = Duration.between(clock.instant(), reservation.expires());
        Duration refresh = remaining.minus(remaining.dividedBy(4));
        if (refresh.compareTo(MIN_RETRY) < 0) {
            refresh = MIN_RETRY;
        }
        schedule(relay, refresh);
        if (!renewed) {
            LOG.info("reservation made relay={} expires={} limited={}", reservation.relay(), reservation.expires(),
                    reservation.limit().isPresent());
        }
        if (!reservation.connection().isOpen()) {
            connectionGone(reservation.connection());
            return;
        }
        for (ReservationListener l : listeners) {
            l.reservationMade(reservation, renewed);
        }
    }

    private void failed(Multiaddr relay, Throwable error) {
        if (closed) {
            return;
        }
        Throwable cause = error.getCause() != null && error instanceof java.util.concurrent.CompletionException
                ? error.getCause() : error;
        lost(relay, "reservation failed: " + cause.getMessage());
        Duration wait = backoff.getOrDefault(relay, MIN_RETRY);
        backoff.put(relay, wait.multipliedBy(2).compareTo(MAX_RETRY) > 0 ? MAX_RETRY : wait.multipliedBy(2));
        LOG.info("reservation failed relay={} retryIn={}: {}", relay, wait, cause.getMessage());
        schedule(relay, wait);
    }

    private void connectionGone(Connection connection) {
        for (Map.Entry<Multiaddr, RelayReservation> e : held.entrySet()) {
            if (e.getValue().connection() == connection) {
                // the retry first: a listener that throws must not leave this relay without one
                schedule(e.getKey(), backoff.getOrDefault(e.getKey(), MIN_RETRY));
                lost(e.getKey(), "connection to the relay closed");
            }
        }
    }

    private void lost(Multiaddr relay, String reason) {
        if (held.remove(relay) == null) {
            return;
        }
        LOG.info("reservation lost relay={} reason={}", relay, reason);
        for (ReservationListener l : listeners) {
            l.reservationLost(relay, reason);
        }
    }

    private void schedule(Multiaddr relay, Duration delay) {
        if (closed) {
            return;
        }
        ScheduledFuture<?> old = timers.put(relay, scheduler.schedule(() -> attempt(relay), delay.toMillis(),
                TimeUnit.MILLISECONDS));
        if (old != null) {
            old.cancel(false);
        }
    }

    /** When the reservation on {@code relay} ends unless renewed, if one is held. */
    public java.util.Optional<Instant> expiry(Multiaddr relay) {
        return java.util.Optional.ofNullable(held.get(relay)).map(RelayReservation::expires);
    }

    @Override
    public void close() {
        closed = true;
        client.host().removeListener(hostListener);
        timers.values().forEach(t -> t.cancel(false));
        held.clear();
        if (ownScheduler) {
            scheduler.shutdownNow();
        }
    }
}
