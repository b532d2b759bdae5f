package dev.edgelink.dataplane.backend;

import dev.edgelink.dataplane.netlink.IpPrefix;
import dev.edgelink.dataplane.netlink.KernelFeatureMissingException;
import dev.edgelink.dataplane.netlink.LinkAddress;
import dev.edgelink.dataplane.netlink.Netlink;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What the kernel backends share: one netlink socket, the availability verdict cached after the first probe, and
 * {@code ensurePeer}/{@code removePeer} done by applying {@link #objectsFor}.
 */
public abstract class KernelBackend implements TunnelBackend {
    protected final Netlink netlink;
    private volatile Verdict availability;
    private volatile KernelFeatureMissingException missing;

    protected KernelBackend(Netlink netlink) {
        this.netlink = Objects.requireNonNull(netlink, "netlink");
    }

    /** Probes the kernel; called once, by the first {@link #available()}. */
    protected abstract Verdict probeKernel();

    @Override
    public final Verdict available() {
        Verdict v = availability;
        if (v == null) {
            synchronized (this) {
                if (availability == null) {
                    availability = probeKernel();
                }
                v = availability;
            }
        }
        return v;
    }

    /** Records that making the device failed for want of a kernel feature; later verdicts say no. */
    protected final void markMissing(KernelFeatureMissingException e) {
        missing = e;
        availability = Verdict.no(kind() + " unavailable on this kernel ("
                + dev.edgelink.dataplane.netlink.NetlinkException.errnoName(e.errno()) + ")");
    }

    /** Throws the recorded (or a new) {@link KernelFeatureMissingException} when the kernel cannot do this path. */
    protected final void requireAvailable() {
        if (missing != null) {
            throw missing;
        }
        Verdict v = available();
        if (!v.ok()) {
            throw new UnavailableBackendException(kind(), v.reason());
        }
    }

    /** Gives {@code linkIndex} the node's tunnel address (/32) unless it has it. */
    protected final void ensureTunnelAddress(int linkIndex, LocalNode local) {
        LinkAddress want = new LinkAddress(linkIndex, local.tunnelHostPrefix());
        if (!netlink.addresses(linkIndex).contains(want)) {
            netlink.addAddress(want);
        }
    }

    @Override
    public boolean ensurePeer(PeerView peer) {
        return objectsFor(peer, peer.podCidrs()).ensure(netlink);
    }

    @Override
    public boolean removePeer(PeerView peer) {
        List<IpPrefix> all = new ArrayList<>(peer.podCidrs());
        all.add(IpPrefix.host(peer.tunnelAddress()));
        return objectsFor(peer, all).remove(netlink);
    }
}
