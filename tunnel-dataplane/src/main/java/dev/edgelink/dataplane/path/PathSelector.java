package dev.edgelink.dataplane.path;

import dev.edgelink.dataplane.backend.PathKind;
import dev.edgelink.dataplane.backend.PeerView;
import dev.edgelink.dataplane.backend.TunnelBackend;
import dev.edgelink.dataplane.backend.Verdict;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses, for every peer, the best rung of the ladder that really works. The ladder is whatever backends it is
 * given, ordered by {@link PathKind} (hostgw, ipip, vxlan now; the userspace rungs plug in the same way). Per peer
 * it runs a {@link PeerPathMachine}; this class only feeds the machines with the backends' verdicts, hands out due
 * probes, applies their results and logs every change of path.
 *
 * <p>No I/O and no clock: every call takes {@code nowNanos}. A driver (the agent's data plane loop) calls, in turn,
 * {@link #tick}, makes the kernel match {@link #plans()}, runs {@link #dueProbes} through a {@link PathProber},
 * reports with {@link #onProbeResult}, and reconciles again. Besides, it reports each peer's pod traffic
 * ({@link #onTraffic}: probing follows it, see {@link PeerPathMachine}) and calls {@link #reevaluate} when our own
 * side changed in a way the backends' verdicts depend on. Thread-safe (one lock).
 */
public final class PathSelector {
    private static final Logger LOG = LoggerFactory.getLogger(PathSelector.class);

    /** A probe to run: through {@code path} to {@code peer}'s tunnel address. */
    public record ProbeRequest(PeerView peer, PathKind path) {
    }

    private final List<TunnelBackend> ladder;
    private final PeerPathMachine.Settings settings;
    private final Map<String, PeerView> peers = new LinkedHashMap<>();
    private final Map<String, PeerPathMachine> machines = new LinkedHashMap<>();

    /** @param backends one per rung, in any order (sorted here by ladder position) */
    public PathSelector(List<? extends TunnelBackend> backends, PeerPathMachine.Settings settings) {
        List<TunnelBackend> sorted = new ArrayList<>(backends);
        sorted.sort(Comparator.comparing(TunnelBackend::kind));
        for (int i = 1; i < sorted.size(); i++) {
            if (sorted.get(i).kind() == sorted.get(i - 1).kind()) {
                throw new IllegalArgumentException("two backends for " + sorted.get(i).kind());
            }
        }
        this.ladder = List.copyOf(sorted);
        this.settings = Objects.requireNonNull(settings, "settings");
    }

    /** The backends, best first. */
    public List<TunnelBackend> ladder() {
        return ladder;
    }

    /** Adds a peer or takes in its new record (its rungs are re-evaluated). */
    public synchronized void upsertPeer(PeerView peer, long nowNanos) {
        peers.put(peer.nodeName(), peer);
        PeerPathMachine m = machines.computeIfAbsent(peer.nodeName(),
                n -> new PeerPathMachine(n, settings, nowNanos));
        apply(peer.nodeName(), m, () -> m.setRungs(rungs(peer), nowNanos));
    }

    /**
     * Asks every backend again what it can do for every peer, now: for a change on our side (our reachability, our
     * underlay subnets) that the verdicts depend on but no peer's record shows. A path that became ineligible is
     * left at once, a rung that became usable is tried at the next {@link #tick}.
     */
    public synchronized void reevaluate(long nowNanos) {
        machines.forEach((n, m) -> apply(n, m, () -> m.setRungs(rungs(peers.get(n)), nowNanos)));
    }

    /** Pod traffic to or from {@code nodeName} was seen at {@code atNanos} (ignored for an unknown peer). */
    public synchronized void onTraffic(String nodeName, long atNanos) {
        PeerPathMachine m = machines.get(nodeName);
        if (m != null) {
            apply(nodeName, m, () -> m.onTraffic(atNanos));
        }
    }

    /** Forgets a departed peer; the next reconcile removes its kernel objects. */
    public synchronized void removePeer(String nodeName) {
        peers.remove(nodeName);
        if (machines.remove(nodeName) != null) {
            LOG.info("peer left; its routes go at the next reconcile (peer={})", nodeName);
        }
    }

    /** The known peers' names. */
    public synchronized List<String> peerNames() {
        return new ArrayList<>(peers.keySet());
    }

    /** Time-driven transitions of every peer. */
    public synchronized void tick(long nowNanos) {
        machines.forEach((n, m) -> apply(n, m, () -> m.tick(nowNanos)));
    }

    /** The probes due now, at most one per peer. */
    public synchronized List<ProbeRequest> dueProbes(long nowNanos) {
        List<ProbeRequest> out = new ArrayList<>();
        machines.forEach((n, m) -> m.probeDue(nowNanos).ifPresent(p -> out.add(new ProbeRequest(peers.get(n), p))));
        return out;
    }

    /** Applies a probe's outcome (ignored if the peer has left meanwhile). */
    public synchronized void onProbeResult(String nodeName, PathKind path, ProbeResult result, long nowNanos) {
        onProbeResult(nodeName, path, result, nowNanos, nowNanos);
    }

    /** Applies the outcome of a probe sent at {@code sentNanos} (see {@link PeerPathMachine#onProbe}). */
    public synchronized void onProbeResult(String nodeName, PathKind path, ProbeResult result, long sentNanos,
            long nowNanos) {
        PeerPathMachine m = machines.get(nodeName);
        if (m != null) {
            apply(nodeName, m, () -> m.onProbe(path, result, sentNanos, nowNanos));
        }
    }

    /** What the kernel should hold, one entry per known peer. */
    public synchronized List<PeerPlan> plans() {
        List<PeerPlan> out = new ArrayList<>();
        machines.forEach((n, m) -> out.add(new PeerPlan(peers.get(n), m.active(), m.trial())));
        return out;
    }

    public synchronized Optional<PathStatus> status(String nodeName) {
        return Optional.ofNullable(machines.get(nodeName)).map(PeerPathMachine::status);
    }

    /** Every peer's status, in the order peers were added. */
    public synchronized List<PathStatus> statuses() {
        List<PathStatus> out = new ArrayList<>();
        machines.values().forEach(m -> out.add(m.status()));
        return out;
    }

    private List<PeerPathMachine.Rung> rungs(PeerView peer) {
        List<PeerPathMachine.Rung> out = new ArrayList<>();
        for (TunnelBackend b : ladder) {
            Verdict v = b.available();
            if (v.ok()) {
                v = b.eligibility(peer);
            }
            out.add(new PeerPathMachine.Rung(b.kind(), v.ok(), v.reason()));
        }
        return out;
    }

    /** Runs a transition and logs what changed. */
    private static void apply(String peer, PeerPathMachine m, Runnable transition) {
        PathStatus before = m.status();
        transition.run();
        PathStatus after = m.status();
        if (before.parked() != after.parked()) {
            LOG.debug("{} (peer={}, path={})", after.parked() ? "idle: path parked" : "active again: path unparked",
                    peer, after.path());
        }
        if (before.state() == after.state() && before.path() == after.path() && before.trial() == after.trial()) {
            return;
        }
        if (after.state() == PeerPathMachine.State.FAILED) {
            LOG.warn("no working path: {} (peer={}, path={})", after.reason(), peer, after.path());
        } else if (before.path() != after.path()) {
            LOG.info("path changed from {} to {}: {} (peer={}, path={})", before.path(), after.path(),
                    after.reason(), peer, after.path());
        } else {
            LOG.debug("{} -> {}, trial {}: {} (peer={}, path={})", before.state(), after.state(), after.trial(),
                    after.reason(), peer, after.path());
        }
    }
}
