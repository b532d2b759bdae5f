package dev.edgelink.dataplane.backend;

import dev.edgelink.net.IpPrefix;
import dev.edgelink.dataplane.netlink.KernelFeatureMissingException;
import dev.edgelink.dataplane.netlink.Link;
import dev.edgelink.dataplane.netlink.LinkAddress;
import dev.edgelink.dataplane.netlink.LinkSpec;
import dev.edgelink.dataplane.netlink.NetlinkException;
import dev.edgelink.dataplane.netlink.Netlink;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;

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
        availability = Verdict.no(kind() + " unavailable on this kernel (" + NetlinkException.errnoName(e.errno())
                + ")");
    }

    /**
     * Finds out whether the kernel can make this backend's device type the only reliable way: by making a scratch
     * device of that type and deleting it at once (module lists and /proc are not to be trusted inside containers
     * and namespaces). A refusal for want of the feature is logged once at INFO and remembered, so that
     * {@link #ensureDevice} throws it as a {@link KernelFeatureMissingException}.
     *
     * @return yes, or no with "KIND unavailable on this kernel (ERRNO)"
     */
    protected final Verdict probeByCreating(LinkSpec scratch, Logger log) {
        try {
            netlink.findLink(scratch.name()).ifPresent(l -> netlink.deleteLink(l.index()));
            int index = netlink.createLink(scratch).index();
            netlink.deleteLink(index);
            return Verdict.yes(kind() + " available on this kernel");
        } catch (KernelFeatureMissingException e) {
            missing = new KernelFeatureMissingException(e, kind().toString(), scratch.name());
            String why = kind() + " unavailable on this kernel (" + NetlinkException.errnoName(e.errno()) + ")";
            log.info("{}; peers will use the next path down (backend={})", why, kind());
            return Verdict.no(why);
        } catch (NetlinkException e) {
            String why = kind() + " unavailable: " + e.getMessage();
            log.warn("{} (backend={})", why, kind());
            return Verdict.no(why);
        }
    }

    /**
     * Yes when a device of {@code scratch}'s kind already stands under {@code deviceName} (the kernel made it once, so
     * it can), else {@link #probeByCreating}.
     */
    protected final Verdict probeDevice(String deviceName, LinkSpec scratch, Logger log) {
        Optional<Link> existing = netlink.findLink(deviceName);
        if (existing.isPresent() && scratch.kind().equals(existing.get().kind())) {
            return Verdict.yes(scratch.kind() + " device " + deviceName + " exists");
        }
        return probeByCreating(scratch, log);
    }

    /**
     * Makes this backend's device with {@code make}, for {@code ensureDevice}: first throws as
     * {@link #requireAvailable} does; a refusal for want of a kernel feature is remembered ({@link #markMissing}),
     * so later verdicts say no, and rethrown.
     */
    protected final Link ensureKernelDevice(Supplier<Link> make) {
        requireAvailable();
        try {
            return make.get();
        } catch (KernelFeatureMissingException e) {
            markMissing(e);
            throw e;
        }
    }

    /**
     * Throws when the kernel cannot do this path: the recorded {@link KernelFeatureMissingException} if a feature is
     * missing, else an {@link UnavailableBackendException} with the verdict's reason.
     */
    protected final void requireAvailable() {
        Verdict v = available();
        if (missing != null) {
            throw missing;
        }
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
