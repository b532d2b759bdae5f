package dev.edgelink.dataplane.reconcile;

import dev.edgelink.dataplane.DataplaneException;
import dev.edgelink.dataplane.backend.PathKind;
import dev.edgelink.dataplane.backend.PeerView;
import dev.edgelink.dataplane.backend.TunnelBackend;
import dev.edgelink.dataplane.netlink.Route;
import dev.edgelink.dataplane.path.PathSelector;
import dev.edgelink.dataplane.path.PathStatus;
import dev.edgelink.dataplane.path.PeerPathMachine;
import dev.edgelink.dataplane.path.PeerPlan;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pod routes a previous run left in the kernel, kept until a probe confirms a path. A restarted node's path
 * machines start with no verified path, and a plain reconcile would remove those routes until the first probe
 * answers, cutting running pods off for that long. So when a peer first appears, the routes the kernel holds for it
 * are matched against what each enabled backend would install; the path that matches exactly is <em>adopted</em>:
 * it stays in the plan while the selector has no verified path of its own, and is dropped as soon as the selector
 * verifies one (then the normal make-before-break switch applies) or gives the peer up (FAILED).
 *
 * <p>Not thread-safe: {@link DataplaneLoop} calls it under its own lock.
 */
final class LeftRoutes {
    private static final Logger LOG = LoggerFactory.getLogger(LeftRoutes.class);

    /** Adopts nothing: the loop plans exactly what the selector plans. */
    static LeftRoutes none() {
        return new LeftRoutes(List.of(), List::of);
    }

    private final List<TunnelBackend> backends;
    private final Supplier<List<Route>> kernelRoutes;
    private final Map<String, PathKind> adopted = new HashMap<>();

    LeftRoutes(List<? extends TunnelBackend> backends, Supplier<List<Route>> kernelRoutes) {
        this.backends = List.copyOf(backends);
        this.kernelRoutes = Objects.requireNonNull(kernelRoutes, "kernelRoutes");
    }

    /** Reads the kernel's routes (once for all of {@code newPeers}) and adopts the path each new peer already has. */
    void adoptAll(List<PeerView> newPeers) {
        if (newPeers.isEmpty() || backends.isEmpty()) {
            return;
        }
        Set<Route> routes = new HashSet<>(kernelRoutes.get());
        for (PeerView p : newPeers) {
            adopt(p, routes);
        }
    }

    private void adopt(PeerView peer, Set<Route> routes) {
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

    void forget(String peer) {
        adopted.remove(peer);
    }

    /** The selector's plans, with an adopted path standing in while a peer has no verified one. */
    List<PeerPlan> plans(PathSelector selector) {
        List<PeerPlan> plans = selector.plans();
        if (adopted.isEmpty()) {
            return plans;
        }
        List<PeerPlan> out = new ArrayList<>();
        for (PeerPlan p : plans) {
            String name = p.peer().nodeName();
            PathKind keep = adopted.get(name);
            if (keep != null && (p.active() != null || failed(selector, name))) {
                adopted.remove(name);
                keep = null;
            }
            out.add(keep == null ? p : new PeerPlan(p.peer(), keep, p.trial()));
        }
        return out;
    }

    private static boolean failed(PathSelector selector, String name) {
        return selector.status(name).map(PathStatus::state).orElse(null) == PeerPathMachine.State.FAILED;
    }
}
