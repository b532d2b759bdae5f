package dev.edgelink.dataplane.reconcile;

import dev.edgelink.dataplane.backend.PeerView;
import dev.edgelink.dataplane.backend.Subnets;
import dev.edgelink.dataplane.backend.TunnelBackend;
import dev.edgelink.dataplane.netlink.Route;
import dev.edgelink.dataplane.path.PathProber;
import dev.edgelink.dataplane.path.PathSelector;
import dev.edgelink.dataplane.path.PeerPlan;
import dev.edgelink.dataplane.path.ProbeResult;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The node's data plane loop: wires the {@link PathSelector} (decides), the {@link Reconciler} (makes the kernel
 * match) and a {@link PathProber} (measures). One {@link #runOnce()}:
 *
 * <ol>
 *   <li>time-driven transitions ({@code tick}),</li>
 *   <li>reconcile, so every trial route exists before its probe is sent,</li>
 *   <li>send all due probes at once and wait for them (each has its own timeout); a probe to a peer whose tunnel
 *   address lies in a destination the reconciler refused is not sent and counts as failed,</li>
 *   <li>apply the results; where a path fell and the next rung became the trial, reconcile and probe that trial
 *   at once (up to {@link #EXTRA_PHASES} times),</li>
 *   <li>reconcile again (a verified trial becomes the pod route now, not a period later).</li>
 * </ol>
 * A reconcile after the first is skipped when the plans are still those the round last applied (the kernel was just
 * made to match them): a round in which no probe changed a path reconciles once.
 *
 * The agent calls {@link #setPeers} when the membership changes and runs the loop with {@link #start}. A loop made
 * with the kernel's routes keeps the pod routes a previous run left until a probe confirms a path (see
 * {@link #DataplaneLoop(PathSelector, Reconciler, PathProber, List, Supplier, LongSupplier)}).
 */
public final class DataplaneLoop {
    /** Probe phases after the first in one round: enough to try the rung below a path that fell, and the next. */
    private static final int EXTRA_PHASES = 2;

    private final PathSelector selector;
    private final Reconciler reconciler;
    private final PathProber prober;
    private final LongSupplier nanoClock;
    private final LeftRoutes leftRoutes;

    /** A loop that plans only what the selector has verified or is trying. */
    public DataplaneLoop(PathSelector selector, Reconciler reconciler, PathProber prober, LongSupplier nanoClock) {
        this(selector, reconciler, prober, nanoClock, LeftRoutes.none());
    }

    /**
     * A loop that, for a peer it has not seen before, keeps the pod routes a previous run left (the path whose routes
     * one of {@code backends} would install, all present in the kernel) until the selector verifies a path or gives
     * the peer up. A restarted node needs this: without it the first reconcile removes those routes and running pods
     * are cut off until the first probe answers.
     *
     * @param kernelRoutes our routes as the kernel has them now (protocol edgelink, main table)
     */
    public DataplaneLoop(PathSelector selector, Reconciler reconciler, PathProber prober,
                         List<? extends TunnelBackend> backends, Supplier<List<Route>> kernelRoutes,
                         LongSupplier nanoClock) {
        this(selector, reconciler, prober, nanoClock, new LeftRoutes(backends, kernelRoutes));
    }

    private DataplaneLoop(PathSelector selector, Reconciler reconciler, PathProber prober, LongSupplier nanoClock,
                          LeftRoutes leftRoutes) {
        this.selector = Objects.requireNonNull(selector, "selector");
        this.reconciler = Objects.requireNonNull(reconciler, "reconciler");
        this.prober = Objects.requireNonNull(prober, "prober");
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
        this.leftRoutes = leftRoutes;
    }

    /** The desired set of peers: new ones are added (their left routes kept), known ones updated, gone ones removed. */
    public synchronized void setPeers(Collection<? extends PeerView> peers) {
        long now = nanoClock.getAsLong();
        Set<String> known = new HashSet<>(selector.peerNames());
        Set<String> names = new HashSet<>();
        List<PeerView> fresh = new ArrayList<>();
        for (PeerView p : peers) {
            names.add(p.nodeName());
            if (!known.contains(p.nodeName())) {
                fresh.add(p);
            }
        }
        leftRoutes.adoptAll(fresh);
        for (PeerView p : peers) {
            selector.upsertPeer(p, now);
        }
        for (String k : known) {
            if (!names.contains(k)) {
                selector.removePeer(k);
                leftRoutes.forget(k);
            }
        }
    }

    /** One round (see the class comment). */
    public synchronized Reconciler.Report runOnce() {
        selector.tick(nanoClock.getAsLong());
        List<PeerPlan> applied = leftRoutes.plans(selector);
        Reconciler.Report report = reconciler.reconcile(applied);
        Set<String> probed = new HashSet<>();
        boolean any = probeDue(probed);
        // a path that fell in this round has its next rung as the trial now: probe it in this round too (its route
        // first), so failing over costs the failed probes and one answer, not another round
        for (int phase = 0; any && phase < EXTRA_PHASES; phase++) {
            List<PeerPlan> plans = leftRoutes.plans(selector);
            if (!plans.equals(applied)) {
                report = sum(report, reconciler.reconcile(plans));
                applied = plans;
            }
            any = probeDue(probed);
        }
        List<PeerPlan> plans = leftRoutes.plans(selector);
        return plans.equals(applied) ? report : sum(report, reconciler.reconcile(plans));
    }

    /**
     * Sends every due probe of a peer and path not yet probed in this round ({@code probed}, "node/path", updated)
     * at once, waits for all (each has its own timeout) and applies them; false if none was due.
     */
    private boolean probeDue(Set<String> probed) {
        long sent = nanoClock.getAsLong();
        List<PathSelector.ProbeRequest> due = selector.dueProbes(sent).stream()
                .filter(r -> probed.add(r.peer().nodeName() + "/" + r.path())).toList();
        List<CompletableFuture<ProbeResult>> results = new ArrayList<>();
        for (PathSelector.ProbeRequest r : due) {
            Optional<Refusal> refused = refusalCovering(r.peer());
            // no route of ours leads to the tunnel address: a probe would go wherever the kernel sends it (the LAN,
            // the default route), so it counts as failed without being sent
            results.add(refused.isPresent()
                    ? CompletableFuture.completedFuture(ProbeResult.failure("not probed: route to "
                            + refused.get().destination() + " refused: " + refused.get().detail()))
                    : prober.probe(r.peer(), r.path()));
        }
        for (int i = 0; i < due.size(); i++) {
            ProbeResult result = results.get(i).join();
            selector.onProbeResult(due.get(i).peer().nodeName(), due.get(i).path(), result, sent,
                    nanoClock.getAsLong());
        }
        return !due.isEmpty();
    }

    /** A refusal of the last reconcile whose destination holds the peer's tunnel address, if any. */
    private Optional<Refusal> refusalCovering(PeerView peer) {
        return reconciler.refused().stream().filter(f -> f.peer().equals(peer.nodeName()))
                .filter(f -> Subnets.contains(f.destination(), peer.tunnelAddress())).findFirst();
    }

    private static Reconciler.Report sum(Reconciler.Report a, Reconciler.Report b) {
        return new Reconciler.Report(a.added() + b.added(), a.repaired() + b.repaired(), a.removed() + b.removed());
    }

    public PathSelector selector() {
        return selector;
    }
}
