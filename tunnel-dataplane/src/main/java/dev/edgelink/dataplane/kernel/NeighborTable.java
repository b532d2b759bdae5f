package dev.edgelink.dataplane.kernel;

import dev.edgelink.dataplane.netlink.Neighbor;
import dev.edgelink.dataplane.netlink.Netlink;
import dev.edgelink.net.MacAddress;
import java.net.InetAddress;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Permanent neighbour entries on one link: for VXLAN, each remote node's tunnel address resolves to its VTEP MAC
 * without ARP ({@code ip neigh replace ADDR lladdr MAC dev edgelink.vxlan nud permanent}).
 *
 * <p>{@link #ensure} is idempotent: an equal permanent entry is left alone; a permanent entry with another MAC is
 * logged at WARN and replaced; a learned (non-permanent) entry is simply replaced.
 */
public final class NeighborTable {
    private static final Logger LOG = LoggerFactory.getLogger(NeighborTable.class);

    private final Netlink netlink;
    private final int linkIndex;

    public NeighborTable(Netlink netlink, int linkIndex) {
        this.netlink = Objects.requireNonNull(netlink, "netlink");
        this.linkIndex = linkIndex;
    }

    /** @return true if the kernel was changed */
    public boolean ensure(InetAddress address, MacAddress mac) {
        return ensure(address, mac, find(address));
    }

    /**
     * As {@link #ensure(InetAddress, MacAddress)}, judged on {@code existing}: the link's entry for {@code address} as
     * the caller read it (a reconciler reads the neighbours once per pass, not once per entry).
     *
     * @return true if the kernel was changed
     */
    public boolean ensure(InetAddress address, MacAddress mac, Optional<Neighbor> existing) {
        if (existing.isPresent() && existing.get().isPermanent() && mac.equals(existing.get().mac())) {
            return false;
        }
        if (existing.isPresent() && existing.get().isPermanent()) {
            LOG.warn("neighbour {} on ifindex {} has MAC {}, want {}; replacing it", address.getHostAddress(),
                    linkIndex, existing.get().mac(), mac);
        }
        netlink.replaceNeighbor(Neighbor.permanent(linkIndex, address, mac));
        return true;
    }

    /** @return false if there was no entry (then nothing changed) */
    public boolean remove(InetAddress address) {
        Optional<Neighbor> existing = find(address);
        existing.ifPresent(netlink::deleteNeighbor);
        return existing.isPresent();
    }

    /** The permanent entries on the link. */
    public List<Neighbor> list() {
        return netlink.neighbors(linkIndex).stream().filter(Neighbor::isPermanent).collect(Collectors.toList());
    }

    private Optional<Neighbor> find(InetAddress address) {
        return netlink.neighbors(linkIndex).stream().filter(n -> n.address().equals(address)).findFirst();
    }
}
