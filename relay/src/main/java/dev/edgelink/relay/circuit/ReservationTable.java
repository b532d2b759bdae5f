package dev.edgelink.relay.circuit;

import dev.edgelink.libp2p.peer.PeerId;
import java.time.Instant;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;

/**
 * The relay's reservations and their two limits: at most {@code maxReservations} in all and
 * {@code maxReservationsPerIp} from one source address (a site's NAT address, behind which hundreds of nodes may
 * sit). A peer renewing from the address it reserved from always keeps its slot; an expired reservation is forgotten
 * when a slot is needed. Each step costs the same however many reservations there are, except that forgetting the
 * expired ones looks at all of them (only when a limit is reached).
 *
 * <p>Pure bookkeeping: time is an argument. Thread-safe: one lock, held only for map operations.
 */
final class ReservationTable {

    /** A peer's reservation. */
    record Held(PeerId peer, String ip, Instant expires) {
    }

    private final int maxReservations;
    private final int maxReservationsPerIp;
    /** Guarded by this. */
    private final Map<PeerId, Held> held = new HashMap<>();
    /** Reservations per source address, as in {@link #held}. Guarded by this. */
    private final Map<String, Integer> perIp = new HashMap<>();

    ReservationTable(int maxReservations, int maxReservationsPerIp) {
        this.maxReservations = maxReservations;
        this.maxReservationsPerIp = maxReservationsPerIp;
    }

    /** Takes (or renews) {@code peer}'s reservation from {@code ip} until {@code expires}, or says what is full. */
    synchronized Optional<String> admit(PeerId peer, String ip, Instant expires, Instant now) {
        Held old = held.get(peer);
        if (old == null || !old.expires().isAfter(now) || !old.ip().equals(ip)) {
            remove(peer);
            if (held.size() >= maxReservations || fromIp(ip) >= maxReservationsPerIp) {
                forgetExpired(now);
            }
            if (held.size() >= maxReservations) {
                return Optional.of("reservation limit: relay.maxReservations=" + maxReservations);
            }
            if (fromIp(ip) >= maxReservationsPerIp) {
                return Optional.of("reservation limit: relay.maxReservationsPerIp=" + maxReservationsPerIp
                        + " from " + ip);
            }
            perIp.merge(ip, 1, Integer::sum);
        }
        held.put(peer, new Held(peer, ip, expires));
        return Optional.empty();
    }

    /** Whether {@code peer} holds a reservation that has not expired at {@code now}. */
    synchronized boolean has(PeerId peer, Instant now) {
        Held h = held.get(peer);
        return h != null && h.expires().isAfter(now);
    }

    /** Drops {@code peer}'s reservation; false if it had none. */
    synchronized boolean remove(PeerId peer) {
        Held h = held.remove(peer);
        if (h == null) {
            return false;
        }
        perIp.computeIfPresent(h.ip(), (ip, n) -> n > 1 ? n - 1 : null);
        return true;
    }

    /** Reservations that have not expired at {@code now}. */
    synchronized int live(Instant now) {
        return (int) held.values().stream().filter(h -> h.expires().isAfter(now)).count();
    }

    synchronized void clear() {
        held.clear();
        perIp.clear();
    }

    private int fromIp(String ip) {
        return perIp.getOrDefault(ip, 0);
    }

    private void forgetExpired(Instant now) {
        for (Iterator<Held> it = held.values().iterator(); it.hasNext(); ) {
            Held h = it.next();
            if (!h.expires().isAfter(now)) {
                it.remove();
                perIp.computeIfPresent(h.ip(), (ip, n) -> n > 1 ? n - 1 : null);
            }
        }
    }
}
