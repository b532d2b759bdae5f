package dev.edgelink.dataplane.kernel;

import dev.edgelink.dataplane.netlink.Link;
import dev.edgelink.dataplane.netlink.Netlink;
import dev.edgelink.dataplane.netlink.ObjectExistsException;
import dev.edgelink.dataplane.netlink.Route;
import dev.edgelink.net.IpPrefix;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * edgelink's routes in one routing table: one per remote pod CIDR, all with protocol
 * {@link Route#PROTOCOL_EDGELINK} so that {@link #list()} and {@link #remove} only ever see ours.
 *
 * <p>{@link #ensure} is idempotent and touches only our own routes: an equal route is left alone; our route to the
 * same destination that differs (another gateway or device) is logged at WARN with the difference and replaced in
 * one step ({@code NLM_F_REPLACE}), so traffic never sees a gap; a route to the same destination that is not ours
 * (any other protocol: the kernel's connected route of a LAN, boot, static, DHCP, another daemon's) is never
 * replaced: {@link RouteConflictException}. Each call reads the table once: O(routes), unless the caller hands in what
 * it read.
 */
public final class RouteTable {
    private static final Logger LOG = LoggerFactory.getLogger(RouteTable.class);

    private final Netlink netlink;
    private final int table;

    /** Our routes in the main table. */
    public RouteTable(Netlink netlink) {
        this(netlink, Route.TABLE_MAIN);
    }

    public RouteTable(Netlink netlink, int table) {
        this.netlink = Objects.requireNonNull(netlink, "netlink");
        this.table = table;
    }

    /**
     * Makes {@code route} present. It must carry our protocol and this table.
     *
     * @return true if the kernel was changed
     * @throws RouteConflictException when a route that is not ours has the same destination in this table (with any
     *     metric); nothing is changed and nothing is logged here: the caller reports it
     */
    public boolean ensure(Route route) {
        requireOurs(route);
        return ensure(route, sameDestination(route), true);
    }

    /**
     * As {@link #ensure(Route)}, judged on {@code same}: the routes of this table to {@code route}'s destination, any
     * protocol, as the caller read them (a reconciler reads the table once per pass, not once per route). Where
     * {@code same} is empty the route is added exclusively, so that a route someone else put there since the caller
     * read the table is never overwritten: it is judged afresh instead.
     */
    public boolean ensure(Route route, List<Route> same) {
        requireOurs(route);
        return ensure(route, same, true);
    }

    /** @param again whether a route that appeared since {@code same} was read is judged afresh (once) */
    private boolean ensure(Route route, List<Route> same, boolean again) {
        Optional<Route> foreign = same.stream().filter(r -> r.protocol() != Route.PROTOCOL_EDGELINK).findFirst();
        if (foreign.isPresent()) {
            throw new RouteConflictException(route, foreign.get(), deviceName(foreign.get().outputLink()));
        }
        if (same.contains(route)) {
            return false;
        }
        if (same.isEmpty()) {
            try {
                netlink.addRoute(route);
                return true;
            } catch (ObjectExistsException e) {
                if (!again) {
                    throw e;
                }
                return ensure(route, sameDestination(route), false);
            }
        }
        LOG.warn("route to {} exists as {}; replacing it (protocol={})", route.destination(),
                String.join(", ", differences(same.get(0), route)), route.protocol());
        netlink.replaceRoute(route);
        return true;
    }

    private List<Route> sameDestination(Route route) {
        return netlink.routes(table, -1).stream().filter(r -> r.destination().equals(route.destination())).toList();
    }

    private void requireOurs(Route route) {
        if (route.protocol() != Route.PROTOCOL_EDGELINK || route.table() != table) {
            throw new IllegalArgumentException("route " + route.destination() + " must have protocol "
                    + Route.PROTOCOL_EDGELINK + " and table " + table);
        }
    }

    /**
     * Removes our route to {@code destination}.
     *
     * @return false if there was none (then nothing changed)
     */
    public boolean remove(IpPrefix destination) {
        Optional<Route> ours = find(destination, Route.PROTOCOL_EDGELINK);
        ours.ifPresent(netlink::deleteRoute);
        return ours.isPresent();
    }

    /** Our routes in this table. */
    public List<Route> list() {
        return netlink.routes(table, Route.PROTOCOL_EDGELINK);
    }

    /** The name of a link, or null for 0 or a link that is gone. */
    private String deviceName(int index) {
        if (index == 0) {
            return null;
        }
        return netlink.links().stream().filter(l -> l.index() == index).map(Link::name).findFirst().orElse(null);
    }

    private Optional<Route> find(IpPrefix destination, int protocol) {
        return netlink.routes(table, protocol).stream().filter(r -> r.destination().equals(destination))
                .findFirst();
    }

    static List<String> differences(Route have, Route want) {
        List<String> out = new ArrayList<>();
        LinkEnsurer.compare(out, "gateway", have.gateway(), want.gateway());
        LinkEnsurer.compare(out, "output ifindex", have.outputLink(), want.outputLink());
        LinkEnsurer.compare(out, "protocol", have.protocol(), want.protocol());
        LinkEnsurer.compare(out, "scope", have.scope(), want.scope());
        LinkEnsurer.compare(out, "onlink", have.onlink(), want.onlink());
        return out;
    }
}
