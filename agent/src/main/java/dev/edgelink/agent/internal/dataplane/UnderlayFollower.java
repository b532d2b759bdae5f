package dev.edgelink.agent.internal.dataplane;

import dev.edgelink.dataplane.backend.LocalNode;
import dev.edgelink.dataplane.backend.PathKind;
import dev.edgelink.dataplane.backend.Subnets;
import dev.edgelink.dataplane.backend.TunnelBackend;
import dev.edgelink.dataplane.mtu.MtuCalculator;
import dev.edgelink.dataplane.netlink.Link;
import dev.edgelink.dataplane.netlink.LinkAddress;
import dev.edgelink.dataplane.netlink.Netlink;
import dev.edgelink.net.IpPrefix;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the underlay device, read once per data plane round on the round's thread (netlink is used there only):
 * its MTU, which the pod MTU and the tunnel devices' MTUs follow, and its subnets, which tell whether a peer shares
 * one with us. Readers on other threads see the values of the last round.
 */
final class UnderlayFollower {
    private static final Logger LOG = LoggerFactory.getLogger(UnderlayFollower.class);

    private final Netlink netlink;
    private final LocalNode local;
    private final List<TunnelBackend> backends;
    private final List<PathKind> usable;
    private final MtuCalculator mtus;
    private volatile int underlayMtu;
    private volatile int podMtu;
    private int refusedUnderlayMtu = -1;
    private volatile List<IpPrefix> subnets = List.of();

    private final Runnable subnetsChanged;

    /** @param subnetsChanged told when the underlay's subnets changed (on the round's thread) */
    UnderlayFollower(DataplaneDevices devices, Runnable subnetsChanged) {
        this.subnetsChanged = subnetsChanged;
        this.netlink = devices.netlink();
        this.local = devices.local();
        this.backends = devices.backends();
        this.usable = devices.usable();
        this.mtus = MtuCalculator.forBackends(devices.backends(), 0);
        this.underlayMtu = devices.underlayMtu();
        this.podMtu = devices.podMtu();
    }

    /** The MTU for pods made now. */
    int podMtu() {
        return podMtu;
    }

    /** Re-reads the underlay device: its MTU ({@link #followMtu}) and its subnets. */
    void follow() {
        Optional<Link> underlay = netlink.findLink(local.underlayDevice());
        if (underlay.isEmpty()) {
            return;
        }
        followMtu(underlay.get().mtu());
        List<IpPrefix> now = netlink.addresses(underlay.get().index()).stream().map(LinkAddress::prefix).toList();
        if (!now.equals(subnets)) {
            subnetsChanged.run();
        }
        subnets = now;
    }

    /** Whether one of {@code addresses} is on a subnet of the underlay device (as read in the last round). */
    boolean onUnderlaySubnet(List<InetAddress> addresses) {
        for (IpPrefix p : subnets) {
            for (InetAddress ip : addresses) {
                if (Subnets.contains(p, ip)) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * When the underlay's MTU changed, the pod MTU handed to new pods follows (pods made before keep theirs: their
     * veths are not touched) and one line is logged; a value that would leave a pod MTU below
     * {@link MtuCalculator#MIN_POD_MTU} is refused with one warning and the old values stay. Then every tunnel device
     * is set to the underlay MTU minus its own overhead when it differs (also after a change by hand, which is put
     * back with a warning).
     */
    private void followMtu(int now) {
        boolean changed = now != underlayMtu;
        if (changed) {
            int pod;
            try {
                pod = mtus.podMtu(now, usable);
            } catch (IllegalArgumentException e) {
                if (now != refusedUnderlayMtu) {
                    LOG.warn("underlay mtu changed to {}, refused: {}; keeping pod mtu {} (node={})", now,
                            e.getMessage(), podMtu, local.nodeName());
                    refusedUnderlayMtu = now;
                }
                return;
            }
            LOG.info("underlay mtu changed from {} to {}: pod mtu {} for new pods, tunnel devices follow (node={})",
                    underlayMtu, now, pod, local.nodeName());
            underlayMtu = now;
            podMtu = pod;
            refusedUnderlayMtu = -1;
        }
        setTunnelMtus(!changed);
    }

    private void setTunnelMtus(boolean warn) {
        Map<Integer, Link> links = new HashMap<>();
        netlink.links().forEach(l -> links.put(l.index(), l));
        for (TunnelBackend b : backends) {
            int want = underlayMtu - b.overheadBytes();
            for (int index : b.ownedLinks()) {
                Link l = links.get(index);
                if (l == null || l.mtu() == want) {
                    continue;
                }
                if (warn) {
                    LOG.warn("tunnel device {} had mtu {}, set back to {} (node={}, backend={})", l.name(), l.mtu(),
                            want, local.nodeName(), b.kind());
                }
                netlink.setMtu(index, want);
            }
        }
    }
}
