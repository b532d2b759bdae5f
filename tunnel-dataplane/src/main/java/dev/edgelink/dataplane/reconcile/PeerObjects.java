package dev.edgelink.dataplane.reconcile;

import dev.edgelink.dataplane.backend.KernelObjects;
import dev.edgelink.dataplane.backend.PathKind;
import dev.edgelink.dataplane.backend.PeerView;
import dev.edgelink.dataplane.backend.TunnelBackend;
import dev.edgelink.net.IpPrefix;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What each peer's kernel objects are, kept from one pass to the next while nothing they are made from changed, so
 * that a pass over an unchanged fleet costs a comparison per peer instead of a backend call (hostgw's reads the
 * node's addresses). A kernel backend's objects are made from the peer's record, the destinations and the node's
 * devices and addresses (the device a route goes out of, the subnet hostgw shares): an entry is used again only for
 * an equal peer, path and destinations, and all of them are dropped when the node's links or addresses changed (a
 * device made again has a new index). The userspace rungs are always asked again: making their objects also tells
 * the tunnel service which prefixes the peer has, which must follow a new service at once, and costs little.
 *
 * <p>{@link #unchanged()} says whether a pass asked for exactly what the last one did and got the same objects, so
 * that the reconciler can use the last pass's wanted set as it is.
 *
 * <p>Not thread-safe: the {@link Reconciler} calls it under its own lock, between {@link #startPass} and
 * {@link #endPass}; what a pass did not ask for is forgotten at its end (departed peers, finished trials).
 */
final class PeerObjects {
    /** The objects of one peer's pod CIDRs ({@code trial} false) or probe route (true). */
    private record Slot(String peer, boolean trial) {
    }

    private record Entry(PeerView peer, PathKind path, List<IpPrefix> destinations, KernelObjects objects) {
        boolean madeFrom(PeerView p, PathKind k, List<IpPrefix> d) {
            return path == k && (peer == p || peer.equals(p)) && destinations.equals(d);
        }
    }

    private Map<Slot, Entry> last = new HashMap<>();
    private Map<Slot, Entry> next = new HashMap<>();
    private List<Slot> lastOrder;
    private List<Slot> order = new ArrayList<>();
    private Object node;
    private boolean same;
    private int made;

    /** @param nodeNow what the node's links and addresses are now (compared with equals to the last pass's) */
    void startPass(Object nodeNow) {
        same = lastOrder != null && nodeNow.equals(node);
        if (!nodeNow.equals(node)) {
            last.clear();
            node = nodeNow;
        }
        next.clear();
        order = new ArrayList<>();
    }

    /** The objects that send {@code destinations} of {@code peer} through {@code backend}. */
    KernelObjects objectsFor(TunnelBackend backend, PeerView peer, List<IpPrefix> destinations, boolean trial) {
        Slot slot = new Slot(peer.nodeName(), trial);
        same = same && order.size() < lastOrder.size() && lastOrder.get(order.size()).equals(slot);
        order.add(slot);
        Entry e = last.get(slot);
        boolean kept = e != null && e.madeFrom(peer, backend.kind(), destinations);
        if (!kept || !backend.kind().kernel()) {
            made++;
            KernelObjects objects = backend.objectsFor(peer, destinations);
            same = same && kept && objects.equals(e.objects());
            e = new Entry(peer, backend.kind(), List.copyOf(destinations), objects);
        }
        next.put(slot, e);
        return e.objects();
    }

    /** Keeps what this pass asked for, for the next. */
    void endPass() {
        same = same && order.size() == lastOrder.size();
        Map<Slot, Entry> kept = next;
        next = last;
        last = kept;
        lastOrder = order;
    }

    /** After {@link #endPass}: whether this pass asked for the same slots in the same order and got equal objects. */
    boolean unchanged() {
        return same;
    }

    /** How many times a backend was asked, in all (for tests). */
    int made() {
        return made;
    }
}
