package dev.edgelink.agent.internal.dataplane;

import dev.edgelink.agent.config.AgentConfig;
import dev.edgelink.agent.config.ConfigException;
import dev.edgelink.dataplane.netlink.Link;
import dev.edgelink.dataplane.netlink.LinkAddress;
import dev.edgelink.dataplane.netlink.Netlink;
import dev.edgelink.dataplane.netlink.Route;
import java.net.Inet4Address;
import java.util.Optional;

/**
 * The underlay ("outside") of this node: the device and IPv4 address kernel tunnels use, from the config where
 * given, else found in the kernel: the device of the IPv4 default route (or the device holding the configured
 * address), and its first IPv4 address.
 *
 * @param link the device
 * @param address its address used as tunnel source and announced to peers
 */
public record Underlay(Link link, Inet4Address address) {

    /** Resolves the underlay; a {@link ConfigException} naming {@code underlay.*} when it cannot. */
    public static Underlay resolve(AgentConfig config, Netlink netlink) {
        Link link;
        if (config.underlayInterface().isPresent()) {
            String name = config.underlayInterface().get();
            link = netlink.findLink(name).orElseThrow(() -> new ConfigException("underlay.interface",
                    "there is no interface named " + name + " on this node"));
        } else if (config.underlayAddress().isPresent()) {
            Inet4Address a = config.underlayAddress().get();
            int index = holder(netlink, a).orElseThrow(() -> new ConfigException("underlay.address",
                    a.getHostAddress() + " is not an address of any interface of this node"));
            link = linkByIndex(netlink, index);
        } else {
            int index = netlink.routes(Route.TABLE_MAIN, -1).stream()
                    .filter(r -> r.destination().length() == 0 && r.destination().address() instanceof Inet4Address
                            && r.outputLink() > 0)
                    .mapToInt(Route::outputLink).findFirst()
                    .orElseThrow(() -> new ConfigException("underlay.interface", "not set, and this node has no IPv4 "
                            + "default route to find it by; set underlay.interface"));
            link = linkByIndex(netlink, index);
        }
        Inet4Address address;
        if (config.underlayAddress().isPresent()) {
            address = config.underlayAddress().get();
            if (holder(netlink, address).orElse(-1) != link.index()) {
                throw new ConfigException("underlay.address", address.getHostAddress() + " is not an address of "
                        + link.name());
            }
        } else {
            int index = link.index();
            address = netlink.addresses(index).stream().map(LinkAddress::prefix)
                    .filter(p -> p.address() instanceof Inet4Address && !p.address().isLinkLocalAddress())
                    .map(p -> (Inet4Address) p.address()).findFirst()
                    .orElseThrow(() -> new ConfigException("underlay.address", "not set, and " + link.name()
                            + " has no IPv4 address"));
        }
        return new Underlay(link, address);
    }

    private static Optional<Integer> holder(Netlink netlink, Inet4Address a) {
        return netlink.addresses(0).stream().filter(x -> x.prefix().address().equals(a))
                .map(LinkAddress::linkIndex).findFirst();
    }

    private static Link linkByIndex(Netlink netlink, int index) {
        return netlink.links().stream().filter(l -> l.index() == index).findFirst()
                .orElseThrow(() -> new IllegalStateException("link " + index + " vanished"));
    }
}
