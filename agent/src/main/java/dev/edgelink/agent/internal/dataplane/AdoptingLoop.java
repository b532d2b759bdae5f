package dev.edgelink.agent.internal.dataplane;

import dev.edgelink.dataplane.DataplaneException;
import dev.edgelink.dataplane.backend.PathKind;
import dev.edgelink.dataplane.backend.PeerView;
import dev.edgelink.dataplane.backend.TunnelBackend;
import dev.edgelink.dataplane.netlink.Route;
import dev.edgelink.dataplane.path.PathProber;
import dev.edgelink.dataplane.path.PathSelector;
import dev.edgelink.dataplane.path.PathStatus;
import dev.edgelink.dataplane.path.PeerPathMachine;
import dev.edgelink.dataplane.path.PeerPlan;
import dev.edgelink.dataplane.path.ProbeResult;
import dev.edgelink.dataplane.reconcile.Reconciler;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The data plane loop of {@link dev.edgelink.dataplane.reconcile.DataplaneLoop} (tick, reconcile, probe, apply,
 * reconcile), plus adoption, which a restarted agent needs: a peer's path machine starts with no verified path,
 * and a plain reconcile would remove the pod routes the previous run left for it until the first probe answers,
 * cutting running pods off for that long. So when a peer first appears, the pod routes the kernel already holds
 * for it are matched against what each enabled backend would install; the path that matches exactly is
 * <em>adopted</em>: it stays in the plan while the selector has no verified path of its own, and is dropped as
 * soon as the selector verifies one (then the normal make-before-break switch applies) or gives the peer up
 * (FAILED).
 */
public final class AdoptingLoop {
    private static final Logger LOG = LoggerFactory.getLogger(AdoptingLoop.class);

    private final PathSelector selector;
    private final Reconciler reconciler;
    private final PathProber prober;
    private final List<TunnelBackend> backends;
    private final Supplier<List<Route>> kernelRoutes;
    private final LongSupplier nanoClock;
    private final Map<String, PathKind> adopted = new HashMap<>();

    /**
     * @param kernelRoutes our routes as the kernel has them now (protocol edgelink, main table)
     */
    public AdoptingLoop(PathSelector selector, Reconciler reconciler, PathProber prober,
                        List<TunnelBackend> backends, Supplier<List<Route>> kernelRoutes, LongSupplier nanoClock) {
        this.selector = Objects.requireNonNull(selector, "selector");
        this.reconciler = Objects.requireNonNull(reconciler, "reconciler");
        this.prober = Objects.requireNonNull(prober, "prober");
        this.backends = List.copyOf(backends);
        this.kernelRoutes = Objects.requireNonNull(kernelRoutes, "kernelRoutes");
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
    }

    /** The desired set of peers: new ones are added (and their kernel routes adopted), gone ones removed. */
    public synchronized void setPeers(Collection<? extends PeerView> peers) {
        long now = nanoClock.getAsLong();
        Set<String> known = new HashSet<>(selector.peerNames());
        Set<String> names = new HashSet<>();
        List<Route> routes = null;
        for (PeerView p : peers) {
            names.add(p.nodeName());
            if (!known.contains(p.nodeName())) {
                routes = routes == null ? kernelRoutes.get() : routes;
                adopt(p, routes);
            }
            selector.upsertPeer(p, now);
        }
        for (String k : known) {
            if (!names.contains(k)) {
                selector.removePeer(k);
                adopted.remove(k);
            }
        }
    }

    private void adopt(PeerView peer, List<Route> routes) {
        for (TunnelBackend b : backends) {
            if (!b.available().ok() || !b.eligibility(peer).ok()) {
                continue;
            }
            List<Route> want;
            try {
                want = b.objectsFor(peer, peer.podCidrs()).routes();
            } catch (IllegalStateException | DataplaneException e) {
                continue;
            }
            if (!want.isEmpty() && routes.containsAll(want)) {
                adopted.put(peer.nodeName(), b.kind());
                LOG.info("kept the pod routes a previous run left until a probe confirms a path (peer={}, path={})",
                        peer.nodeName(), b.kind());
                return;
            }
        }
    }

    /** One round; see the class comment. */
    public synchronized Reconciler.Report runOnce() {
        selector.tick(nanoClock.getAsLong());
        Reconciler.Report first = reconciler.reconcile(plans());
        List<PathSelector.ProbeRequest> due = selector.dueProbes(nanoClock.getAsLong());
        List<CompletableFuture<ProbeResult>> results = new ArrayList<>();
        for (PathSelector.ProbeRequest r : due) {
            results.add(prober.probe(r.peer(), r.path()));
        }
        for (int i = 0; i < due.size(); i++) {
            ProbeResult result = results.get(i).join();
            selector.onProbeResult(due.get(i).peer().nodeName(), due.get(i).path(), result, nanoClock.getAsLong());
        }
        Reconciler.Report second = reconciler.reconcile(plans());
        return new Reconciler.Report(first.added() + second.added(), first.repaired() + second.repaired(),
                first.removed() + second.removed());
    }

    /** The selector's plans, with an adopted path standing in while a peer has no verified one. */
    synchronized List<PeerPlan> plans() {
        List<PeerPlan> out = new ArrayList<>();
        for (PeerPlan p : selector.plans()) {
            String name = p.peer().nodeName();
            PathKind keep = adopted.get(name);
            if (keep != null && (p.active() != null || failed(name))) {
                adopted.remove(name);
                keep = null;
            }
            out.add(keep == null ? p : new PeerPlan(p.peer(), keep, p.trial()));
        }
        return out;
    }

    private boolean failed(String name) {
        return selector.status(name).map(PathStatus::state).orElse(null) == PeerPathMachine.State.FAILED;
    }

    /** Peers whose path is still the adopted one (for tests and status). */
    public synchronized Map<String, PathKind> adopted() {
        return Map.copyOf(adopted);
    }

    public PathSelector selector() {
        return selector;
    }
}
