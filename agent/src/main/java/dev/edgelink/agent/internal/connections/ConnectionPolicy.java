package dev.edgelink.agent.internal.connections;

import dev.edgelink.libp2p.peer.PeerId;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.Set;

/**
 * Which libp2p connections this node holds, and why: the decision of the agent's connection manager, as a pure
 * state machine (no sockets, injected time and randomness; {@link ConnectionManager} does the I/O).
 *
 * <p>A connection exists only for a {@link Reason}: a relay we reserve on (every configured one), a bootstrap
 * peer, one of a few gossip partners (a random set of {@link Settings#gossipFanout} members we can dial
 * directly, one replaced every {@link Settings#gossipRotation}), or a peer whose pods exchange traffic over a
 * userspace path or whose userspace path is being tried. Kernel paths need no connection: a peer on hostgw, ipip
 * or vxlan keeps its routes with none. A connection we opened whose reasons are all gone is closed after
 * {@link Settings#closeGrace}; one the peer opened is the peer's to close. A relayed connection is closed once a
 * direct one exists and the pod traffic does not ride the relayed one.
 *
 * <p>Per peer, every {@link #decide} computes the reasons from {@link Facts} and returns the actions: dial
 * directly (its own listen addresses, when {@link Facts#canDialDirect}), dial through a relay (its circuit
 * addresses, when it cannot be dialed directly or the direct dial failed), punch (over a relayed connection we
 * accepted, for a peer with traffic), close. Failed dials back off per peer and kind from
 * {@link Settings#dialBackoffInitial} doubling to {@link Settings#dialBackoffMax}; a relay lost is dialed again at
 * once, at most every {@link Settings#relayRedialGap}. Not thread-safe: the manager calls it from one thread.
 */
public final class ConnectionPolicy {
    /** Why a connection to a peer is held. */
    public enum Reason {
        RELAY("relay"),
        BOOTSTRAP("bootstrap peer"),
        GOSSIP("gossip partner"),
        TRAFFIC("pod traffic on a userspace path"),
        PATH("userspace path being tried");

        private final String label;

        Reason(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /** Where a peer's connections stand. */
    public enum State {
        /** No reason, no connection of ours. */
        NONE,
        /** Wanted, waiting for a dial's backoff to pass. */
        WAITING,
        /** A dial is in flight. */
        DIALING,
        /** A relayed connection only (a punch may be running). */
        RELAYED,
        /** A direct connection. */
        DIRECT,
        /** No reason any more, connected: closed after the grace time unless a reason comes back. */
        IDLE
    }

    /** Which of a peer's connections an action is about. */
    public enum Kind { DIRECT, RELAYED }

    /** What the manager is to do. */
    public sealed interface Action {
        PeerId peer();
    }

    /** Dial the peer's own listen addresses (a relay from the listen port while we are not public: see manager). */
    public record Dial(PeerId peer, Kind kind) implements Action {
    }

    /** Try DCUtR over the relayed connection the peer opened to us. */
    public record Punch(PeerId peer) implements Action {
    }

    /** Close the connection of this kind, saying why. */
    public record Close(PeerId peer, Kind kind, String why) implements Action {
    }

    /**
     * The policy's limits.
     *
     * @param gossipFanout members we hold a connection to for membership exchanges (besides relays and bootstrap
     *     peers). 4.
     * @param gossipRotation one gossip partner is replaced by another this often, so that the partner graph mixes.
     *     60 s.
     * @param closeGrace a connection we opened is closed this long after its last reason went (a rotated partner,
     *     traffic that stopped), so that a reason that comes back at once does not cost a new handshake. 10 s.
     * @param dialBackoffInitial first wait after a failed dial of a peer. 1 s.
     * @param dialBackoffMax longest wait between dials of a peer. 60 s.
     * @param relayRedialGap least time between two dials of one relay after its connection closed. 2 s.
     * @param relayBackoffMax longest wait between dials of a relay that does not answer: relays are few and
     *     everything across NATs needs them, so one that restarts is back within this. 4 s.
     */
    public record Settings(int gossipFanout, Duration gossipRotation, Duration closeGrace, Duration dialBackoffInitial,
            Duration dialBackoffMax, Duration relayRedialGap, Duration relayBackoffMax) {
        public static final Settings DEFAULT = new Settings(4, Duration.ofSeconds(60), Duration.ofSeconds(10),
                Duration.ofSeconds(1), Duration.ofSeconds(60), Duration.ofSeconds(2), Duration.ofSeconds(4));

        public Settings {
            if (gossipFanout < 0) {
                throw new IllegalArgumentException("gossipFanout must not be negative: " + gossipFanout);
            }
            if (dialBackoffMax.compareTo(dialBackoffInitial) < 0 || dialBackoffInitial.isNegative()) {
                throw new IllegalArgumentException("need 0 <= dialBackoffInitial <= dialBackoffMax");
            }
        }
    }

    /**
     * What the manager knows of one peer at a decision.
     *
     * @param peer the peer
     * @param relay it is one of our configured relays
     * @param bootstrap it is a configured bootstrap peer
     * @param member it is a member (has a record): only members are gossip partners or carry pod traffic
     * @param canDialDirect its own listen addresses can be reached from here (NAT policy) and we know some
     * @param hasCircuits its record offers circuit addresses through a relay other than us
     * @param direct a direct connection exists; {@code directOurs}: we opened it
     * @param relayed a relayed connection exists; {@code relayedOurs}: we opened it
     * @param tunnel its pod traffic needs a connection: its path (or the rung being tried) is a userspace one
     * @param trying a userspace rung of its path is being tried (a probe needs the connection now)
     * @param active its pods exchanged traffic within the idle timeout, or a packet asked for it
     * @param relayedPath its active path or the rung being tried is {@code relayed}: a relayed connection is
     *     needed now, also next to a direct one (a direct path that fails its probes falls to relayed, make before
     *     break)
     */
    public record Facts(PeerId peer, boolean relay, boolean bootstrap, boolean member, boolean canDialDirect,
            boolean hasCircuits, boolean direct, boolean directOurs, boolean relayed, boolean relayedOurs,
            boolean tunnel, boolean trying, boolean active, boolean relayedPath) {
        public Facts {
            Objects.requireNonNull(peer, "peer");
        }
    }

    /** What the policy says of one peer, for status. */
    public record View(State state, Set<Reason> reasons, String why) {
    }

    /** Per peer: reasons, dials in flight, backoffs. */
    private static final class Entry {
        final Set<Reason> reasons = EnumSet.noneOf(Reason.class);
        State state = State.NONE;
        final EnumSet<Kind> dialing = EnumSet.noneOf(Kind.class);
        final Map<Kind, Long> retryAt = new HashMap<>();
        final Map<Kind, Long> backoff = new HashMap<>();
        boolean punching;
        long noReasonSince = Long.MIN_VALUE;
        long lastRelayDial = Long.MIN_VALUE;
        boolean directFailed;
        String why = "";
    }

    private final Settings settings;
    private final Random random;
    private final Map<PeerId, Entry> entries = new HashMap<>();
    /** The gossip partners, each with the time it was chosen. */
    private final Map<PeerId, Long> partners = new LinkedHashMap<>();
    private long lastRotation = Long.MIN_VALUE;

    public ConnectionPolicy(Settings settings, Random random) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.random = Objects.requireNonNull(random, "random");
    }

    /**
     * One decision over every peer the manager knows (members, relays, bootstrap peers, anyone we are connected
     * to). Peers not in {@code facts} are forgotten. Returns what to do now, in order.
     *
     * @param holePunch whether DCUtR may be tried at all
     */
    public List<Action> decide(long nowNanos, List<Facts> facts, boolean holePunch) {
        Set<PeerId> present = new HashSet<>();
        facts.forEach(f -> present.add(f.peer()));
        entries.keySet().retainAll(present);
        choosePartners(nowNanos, facts);
        List<Action> out = new ArrayList<>();
        for (Facts f : facts) {
            Entry e = entries.computeIfAbsent(f.peer(), p -> new Entry());
            reasons(f, e);
            decide(nowNanos, f, e, holePunch, out);
        }
        return out;
    }

    private void reasons(Facts f, Entry e) {
        e.reasons.clear();
        if (f.relay()) {
            e.reasons.add(Reason.RELAY);
        }
        if (f.bootstrap()) {
            e.reasons.add(Reason.BOOTSTRAP);
        }
        if (partners.containsKey(f.peer())) {
            e.reasons.add(Reason.GOSSIP);
        }
        if (f.member() && f.tunnel() && f.active()) {
            e.reasons.add(Reason.TRAFFIC);
        }
        if (f.member() && f.trying()) {
            e.reasons.add(Reason.PATH);
        }
    }

    private void decide(long now, Facts f, Entry e, boolean holePunch, List<Action> out) {
        if (!e.reasons.isEmpty()) {
            e.noReasonSince = Long.MIN_VALUE;
        } else if (e.noReasonSince == Long.MIN_VALUE) {
            e.noReasonSince = now;
        }
        if (f.direct()) {
            e.directFailed = false;
        }
        if (e.reasons.isEmpty()) {
            e.state = f.direct() || f.relayed() ? State.IDLE : State.NONE;
            closeUnneeded(now, f, e, out);
            return;
        }
        if (!f.direct() && f.canDialDirect()) {
            dial(now, f, e, Kind.DIRECT, out);
        }
        boolean tunnelReasons = e.reasons.contains(Reason.TRAFFIC) || e.reasons.contains(Reason.PATH);
        // the path is (or is moving to) relayed, or nothing direct can be had: the relays carry it
        boolean needRelayed = f.member() && (f.relayedPath()
                || (tunnelReasons && !f.direct() && (!f.canDialDirect() || e.directFailed)));
        if (needRelayed && !f.relayed() && f.hasCircuits()) {
            dial(now, f, e, Kind.RELAYED, out);
        }
        if (f.direct() && f.relayed() && !needRelayed) {
            out.add(new Close(f.peer(), Kind.RELAYED, "a direct connection carries the tunnel"));
        }
        if (holePunch && tunnelReasons && !f.direct() && f.relayed() && !f.relayedOurs() && !e.punching) {
            e.punching = true;
            out.add(new Punch(f.peer()));
        }
        e.state = f.direct() ? State.DIRECT : f.relayed() ? State.RELAYED
                : e.dialing.isEmpty() ? State.WAITING : State.DIALING;
    }

    /** A connection we opened and no longer need goes after the grace time; the peer's own are its to close. */
    private void closeUnneeded(long now, Facts f, Entry e, List<Action> out) {
        if (now - e.noReasonSince < settings.closeGrace().toNanos()) {
            return;
        }
        if (f.direct() && f.directOurs()) {
            out.add(new Close(f.peer(), Kind.DIRECT, "no reason left"));
        }
        if (f.relayed() && f.relayedOurs()) {
            out.add(new Close(f.peer(), Kind.RELAYED, "no reason left"));
        }
    }

    private void dial(long now, Facts f, Entry e, Kind kind, List<Action> out) {
        Long retryAt = e.retryAt.get(kind);
        if (e.dialing.contains(kind) || (retryAt != null && now - retryAt < 0)) {
            return;
        }
        if (f.relay() && kind == Kind.DIRECT) {
            // a lost relay is dialed again at once, but a connection that keeps closing not more than once a gap
            if (retryAt == null && e.lastRelayDial != Long.MIN_VALUE
                    && now - e.lastRelayDial < settings.relayRedialGap().toNanos()) {
                return;
            }
            e.lastRelayDial = now;
        }
        e.dialing.add(kind);
        out.add(new Dial(f.peer(), kind));
    }

    /** A dial the manager started succeeded: its backoff starts over. */
    public void dialed(PeerId peer, Kind kind) {
        Entry e = entries.get(peer);
        if (e != null) {
            e.dialing.remove(kind);
            e.backoff.remove(kind);
            e.retryAt.remove(kind);
            if (kind == Kind.DIRECT) {
                e.directFailed = false;
            }
        }
    }

    /**
     * A dial failed: the next one waits the peer's backoff, which doubles. Returns the wait, so the manager can log
     * a failure once per backoff step rather than every time.
     */
    public Duration dialFailed(PeerId peer, Kind kind, long nowNanos) {
        Entry e = entries.get(peer);
        if (e == null) {
            return Duration.ZERO;
        }
        e.dialing.remove(kind);
        long max = (e.reasons.contains(Reason.RELAY) && kind == Kind.DIRECT ? settings.relayBackoffMax()
                : settings.dialBackoffMax()).toNanos();
        long wait = e.backoff.containsKey(kind) ? Math.min(e.backoff.get(kind) * 2, max)
                : Math.min(settings.dialBackoffInitial().toNanos(), max);
        e.backoff.put(kind, wait);
        e.retryAt.put(kind, nowNanos + wait);
        if (kind == Kind.DIRECT) {
            e.directFailed = true;
        }
        return Duration.ofNanos(wait);
    }

    /** A punch ended (made a direct connection or not); the next one is the punch policy's to allow. */
    public void punched(PeerId peer, String why) {
        Entry e = entries.get(peer);
        if (e != null) {
            e.punching = false;
            if (why != null) {
                e.why = why;
            }
        }
    }

    /** Says why a peer is reached as it is ("direct: hole punched", "relayed: punch not attempted, ..."). */
    public void explain(PeerId peer, String why) {
        Entry e = entries.get(peer);
        if (e != null) {
            e.why = why;
        }
    }

    /** The policy's view of a peer, if it knows it. */
    public Optional<View> view(PeerId peer) {
        Entry e = entries.get(peer);
        return e == null ? Optional.empty()
                : Optional.of(new View(e.state, Set.copyOf(e.reasons), e.why));
    }

    /** The current gossip partners. */
    public Set<PeerId> partners() {
        return Set.copyOf(partners.keySet());
    }

    /**
     * Keeps {@link Settings#gossipFanout} partners among the members we can dial directly (relays and bootstrap
     * peers are connected anyway, so they are not chosen): a partner that is no longer a candidate is replaced at
     * once, and every {@link Settings#gossipRotation} the longest-held one is replaced by a random other.
     */
    private void choosePartners(long now, List<Facts> facts) {
        List<PeerId> candidates = new ArrayList<>();
        for (Facts f : facts) {
            if (f.member() && f.canDialDirect() && !f.relay() && !f.bootstrap()) {
                candidates.add(f.peer());
            }
        }
        Set<PeerId> allowed = new HashSet<>(candidates);
        partners.keySet().retainAll(allowed);
        if (lastRotation == Long.MIN_VALUE) {
            lastRotation = now;
        } else if (now - lastRotation >= settings.gossipRotation().toNanos() && !partners.isEmpty()
                && candidates.size() > partners.size()) {
            PeerId oldest = partners.keySet().iterator().next();
            partners.remove(oldest);
            lastRotation = now;
            addPartner(now, candidates, Set.of(oldest));
        }
        while (partners.size() < Math.min(settings.gossipFanout(), candidates.size())) {
            addPartner(now, candidates, Set.of());
        }
    }

    private void addPartner(long now, List<PeerId> candidates, Set<PeerId> except) {
        List<PeerId> free = new ArrayList<>();
        for (PeerId p : candidates) {
            if (!partners.containsKey(p) && !except.contains(p)) {
                free.add(p);
            }
        }
        if (!free.isEmpty()) {
            partners.put(free.get(random.nextInt(free.size())), now);
        }
    }
}
