package dev.edgelink.dataplane.reconcile;

import dev.edgelink.dataplane.backend.Subnets;
import dev.edgelink.dataplane.kernel.RouteConflictException;
import dev.edgelink.dataplane.netlink.Route;
import dev.edgelink.net.IpPrefix;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.IntFunction;

/**
 * Which destinations a peer may have a route of ours to, judged against the main table as read once per pass.
 * A peer's pod CIDR {@code P} is refused when
 * <ul>
 *   <li>it lies inside this node's own pod CIDR (or equals it): those addresses are this node's pods', and the CNI
 *       plugin's routes to them carry our protocol number, so nothing else would stop ours replacing one;</li>
 *   <li>a route that is not ours ({@code protocol != }{@link Route#PROTOCOL_EDGELINK}) has destination {@code P}:
 *       ours would replace it or, with another metric, win over it (the default route included, for {@code P}
 *       {@code /0});</li>
 *   <li>a route that is not ours, with a prefix length above 0, strictly contains {@code P}: ours, longer, would
 *       take part of its traffic (a connected LAN, a static route). The default route is not shadowed in this
 *       sense: every route is more specific than it.</li>
 * </ul>
 * A {@code P} that strictly contains a route not ours (or this node's pod CIDR) is allowed: the longer route still
 * wins for its addresses.
 * IPv4 and IPv6 alike; routes of the other family never conflict. Pure: no I/O but the device-name lookup it is
 * given, called only to describe a refusal.
 */
final class RouteGuard {
    /** Routes not ours by destination (network form); the first of several with one destination (other metrics). */
    private final Map<IpPrefix, Route> foreign = new HashMap<>();
    /** The prefix lengths among {@link #foreign}, longest first: a check costs one lookup per length, not per route. */
    private final NavigableSet<Integer> lengths = new TreeSet<>(Comparator.reverseOrder());
    private final IpPrefix localPodCidr;
    private final IntFunction<String> deviceName;

    /**
     * @param mainTable every unicast route of the main table, any protocol; ours are ignored
     * @param deviceName the name of an ifindex, or null (to describe a route in the way)
     */
    RouteGuard(List<Route> mainTable, IpPrefix localPodCidr, IntFunction<String> deviceName) {
        for (Route r : mainTable) {
            if (r.protocol() != Route.PROTOCOL_EDGELINK) {
                foreign.putIfAbsent(Subnets.network(r.destination()), r);
                lengths.add(r.destination().length());
            }
        }
        this.localPodCidr = localPodCidr;
        this.deviceName = deviceName;
    }

    /** Why a route of ours to {@code p} must not go in, or empty when it may. */
    Optional<Refusal> check(String peer, IpPrefix p) {
        if (Reconciler.within(p, localPodCidr)) {
            return Optional.of(new Refusal(peer, p, Refusal.Reason.LOCAL_POD_CIDR,
                    "inside this node's pod CIDR " + localPodCidr));
        }
        Route same = foreign.get(Subnets.network(p));
        if (same != null) {
            return Optional.of(new Refusal(peer, p, Refusal.Reason.REPLACES_ROUTE,
                    "would replace route " + describe(same)));
        }
        for (int length : lengths.tailSet(p.length(), false)) {
            Route containing = length == 0 ? null
                    : foreign.get(Subnets.network(new IpPrefix(p.address(), length)));
            if (containing != null) {
                return Optional.of(new Refusal(peer, p, Refusal.Reason.SHADOWS_ROUTE,
                        "would shadow route " + describe(containing)));
            }
        }
        return Optional.empty();
    }

    /** The refusal of a route {@link dev.edgelink.dataplane.kernel.RouteTable} would not replace. */
    Refusal refusal(String peer, RouteConflictException e) {
        return new Refusal(peer, e.wanted().destination(), Refusal.Reason.REPLACES_ROUTE,
                "would replace route " + describe(e.inTheWay()));
    }

    private String describe(Route r) {
        return RouteConflictException.describe(r, r.outputLink() == 0 ? null : deviceName.apply(r.outputLink()));
    }
}
