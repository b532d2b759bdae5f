package dev.edgelink.dataplane.reconcile;

import dev.edgelink.dataplane.backend.PathKind;
import dev.edgelink.dataplane.backend.PeerView;
import dev.edgelink.dataplane.backend.TunnelBackend;
import dev.edgelink.dataplane.netlink.Route;
import dev.edgelink.dataplane.path.PathProber;
import dev.edgelink.dataplane.path.PathSelector;
import dev.edgelink.dataplane.path.ProbeResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's data plane loop: wires the {@link PathSelector} (decides), the {@link Reconciler} (makes the kernel
 * match) and a {@link PathProber} (measures). One {@link #runOnce()}:
 *
 * <ol>
 *   <li>time-driven transitions ({@code tick}),</li>
 *   <li>reconcile, so every trial route exists before its probe is sent,</li>
 *   <li>send all due probes at once and wait for them (each has its own timeout),</li>
 *   <li>apply the results and reconcile again (a verified trial becomes the pod route now, not a period later).</li>
 * </ol>
 *
 * The agent calls {@link #setPeers} when the membership changes and runs the loop with {@link #start}. A loop made
 * with the kernel's routes keeps the pod routes a previous run left until a probe confirms a path (see
 * {@link #DataplaneLoop(PathSelector, Reconciler, PathProber, List, Supplier, LongSupplier)}).
 */
public final class DataplaneLoop {
    private static final Logger LOG = LoggerFactory.getLogger(DataplaneLoop.class);

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
        Reconciler.Report first = reconciler.reconcile(leftRoutes.plans(selector));
        List<PathSelector.ProbeRequest> due = selector.dueProbes(nanoClock.getAsLong());
        List<CompletableFuture<ProbeResult>> results = new ArrayList<>();
        for (PathSelector.ProbeRequest r : due) {
            results.add(prober.probe(r.peer(), r.path()));
        }
        for (int i = 0; i < due.size(); i++) {
            ProbeResult result = results.get(i).join();
            selector.onProbeResult(due.get(i).peer().nodeName(), due.get(i).path(), result, nanoClock.getAsLong());
        }
        Reconciler.Report second = reconciler.reconcile(leftRoutes.plans(selector));
        return new Reconciler.Report(first.added() + second.added(), first.repaired() + second.repaired(),
                first.removed() + second.removed());
    }

    /** Runs {@link #runOnce()} every {@code period}; a failing round is logged and the next one tries again. */
    public ScheduledFuture<?> start(ScheduledExecutorService executor, Duration period) {
        return executor.scheduleWithFixedDelay(() -> {
            try {
                runOnce();
            } catch (RuntimeException e) {
                LOG.warn("data plane round failed, retrying next period: {}", e.toString());
            }
        }, 0, period.toNanos(), TimeUnit.NANOSECONDS);
    }

    public PathSelector selector() {
        return selector;
    }

    /** Peers whose path is still the one a previous run left (for tests and status). */
    public synchronized Map<String, PathKind> adopted() {
        return leftRoutes.adopted();
    }

    public Reconciler reconciler() {
        return reconciler;
    }
}
