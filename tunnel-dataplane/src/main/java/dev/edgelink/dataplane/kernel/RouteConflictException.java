package dev.edgelink.dataplane.kernel;

import dev.edgelink.dataplane.DataplaneException;
import dev.edgelink.dataplane.netlink.Route;
import java.util.Objects;

/**
 * A route we wanted would have replaced a route that is not ours: same destination, same table, another protocol
 * (the kernel's connected route of a LAN, a boot, static or DHCP route, another daemon's). Nothing was changed. The
 * route in the way belongs to someone else, so only its owner or an operator may remove it; the caller decides what
 * to tell (the reconciler reports it per peer CIDR).
 */
public final class RouteConflictException extends DataplaneException {
    private static final long serialVersionUID = 1L;

    private final transient Route wanted;
    private final transient Route inTheWay;

    /** @param device the name of {@code inTheWay}'s output device, or null when it has none or it is not known */
    public RouteConflictException(Route wanted, Route inTheWay, String device) {
        super("route " + describe(inTheWay, device) + " is not ours; refusing to replace it with "
                + Objects.requireNonNull(wanted, "wanted").destination() + " proto "
                + Route.protocolName(wanted.protocol()) + " (remove it by hand if it is stale)");
        this.wanted = wanted;
        this.inTheWay = inTheWay;
    }

    public Route wanted() {
        return wanted;
    }

    public Route inTheWay() {
        return inTheWay;
    }

    /**
     * A route as {@code ip route} shows it: {@code DEST [via GATEWAY] [dev DEVICE] proto NAME}. {@code device} may be
     * null (then the ifindex is shown, if any).
     */
    public static String describe(Route r, String device) {
        StringBuilder out = new StringBuilder(r.destination().toString());
        if (r.gateway() != null) {
            out.append(" via ").append(r.gateway().getHostAddress());
        }
        if (device != null) {
            out.append(" dev ").append(device);
        } else if (r.outputLink() != 0) {
            out.append(" ifindex ").append(r.outputLink());
        }
        return out.append(" proto ").append(Route.protocolName(r.protocol())).toString();
    }
}
