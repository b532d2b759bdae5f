package dev.edgelink.dataplane.kernel;

import dev.edgelink.dataplane.netlink.FdbEntry;
import dev.edgelink.dataplane.netlink.Netlink;
import dev.edgelink.net.MacAddress;
import java.net.InetAddress;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The forwarding entries of one VXLAN device: each remote node's VTEP MAC maps to its underlay address
 * ({@code bridge fdb replace MAC dev edgelink.vxlan dst UNDERLAY self permanent}).
 *
 * <p>{@link #ensure} is idempotent: when the MAC already maps to that destination nothing is done; another
 * destination (a node whose underlay address changed) is logged at WARN and replaced in one step. The kernel keeps
 * one destination per unicast MAC; several are possible only for the all-zeros and multicast MACs (flood lists),
 * which are not per-node state and go through {@link Netlink#appendFdb} directly.
 */
public final class FdbTable {
    private static final Logger LOG = LoggerFactory.getLogger(FdbTable.class);

    private final Netlink netlink;
    private final int linkIndex;

    public FdbTable(Netlink netlink, int vxlanLinkIndex) {
        this.netlink = Objects.requireNonNull(netlink, "netlink");
        this.linkIndex = vxlanLinkIndex;
    }

    /**
     * Makes the unicast {@code mac} map to {@code destination}.
     *
     * @return true if the kernel was changed
     */
    public boolean ensure(MacAddress mac, InetAddress destination) {
        return ensure(mac, destination, forMac(mac));
    }

    /**
     * As {@link #ensure(MacAddress, InetAddress)}, judged on {@code forMac}: the device's entries for {@code mac} as
     * the caller read them (a reconciler reads the FDB once per pass, not once per entry).
     *
     * @return true if the kernel was changed
     */
    public boolean ensure(MacAddress mac, InetAddress destination, List<FdbEntry> forMac) {
        if (!isUnicast(mac)) {
            throw new IllegalArgumentException("FdbTable keeps per-node unicast VTEP MACs, not " + mac);
        }
        FdbEntry want = new FdbEntry(linkIndex, mac, destination);
        if (forMac.contains(want)) {
            return false;
        }
        for (FdbEntry stale : forMac) {
            LOG.warn("fdb entry {} on ifindex {} points to {}, want {}; replacing it", mac, linkIndex,
                    stale.destination().getHostAddress(), destination.getHostAddress());
        }
        netlink.replaceFdb(want);
        return true;
    }

    /** @return false if there was no such entry (then nothing changed) */
    public boolean remove(MacAddress mac, InetAddress destination) {
        FdbEntry entry = new FdbEntry(linkIndex, mac, destination);
        if (!forMac(mac).contains(entry)) {
            return false;
        }
        netlink.deleteFdb(entry);
        return true;
    }

    /** True for the MACs this table keeps: unicast and not all zeros (those are flood lists). */
    public static boolean isUnicast(MacAddress mac) {
        return (mac.toBytes()[0] & 1) == 0 && !mac.equals(MacAddress.ZERO);
    }

    /** The device's entries with a remote destination. */
    public List<FdbEntry> list() {
        return netlink.fdb(linkIndex);
    }

    private List<FdbEntry> forMac(MacAddress mac) {
        return list().stream().filter(e -> e.mac().equals(mac)).collect(Collectors.toList());
    }
}
