package dev.edgelink.dataplane.backend.ipip;

import dev.edgelink.dataplane.backend.KernelBackend;
import dev.edgelink.dataplane.backend.KernelObjects;
import dev.edgelink.dataplane.backend.LocalNode;
import dev.edgelink.dataplane.backend.PathKind;
import dev.edgelink.dataplane.backend.PeerView;
import dev.edgelink.dataplane.backend.Verdict;
import dev.edgelink.dataplane.kernel.IpipDevice;
import dev.edgelink.dataplane.netlink.IpipConfig;
import dev.edgelink.dataplane.netlink.Link;
import dev.edgelink.dataplane.netlink.LinkSpec;
import dev.edgelink.dataplane.netlink.Netlink;
import dev.edgelink.dataplane.netlink.Route;
import dev.edgelink.net.IpPrefix;
import java.net.Inet4Address;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ipip as flannel's ipip backend: one point-to-multipoint device, {@code edgelink.ipip}, and per remote node one
 * route {@code POD_CIDR via REMOTE_UNDERLAY dev edgelink.ipip onlink proto 69}; the kernel takes the outer
 * destination from the route's gateway. 20 bytes of overhead instead of VXLAN's 50, and nothing per peer but the
 * route. Many edge kernels (ours included) lack the module: then {@link #available()} says so in one log line
 * ("ipip unavailable on this kernel (EOPNOTSUPP)") and the selector uses the next rung.
 */
public final class IpipBackend extends KernelBackend {
    /** Outer IPv4 header. */
    public static final int OVERHEAD_BYTES = 20;
    private static final Logger LOG = LoggerFactory.getLogger(IpipBackend.class);
    private static final String SCRATCH = "elprobe.ipip";

    private final String deviceName;
    private volatile Link device;

    public IpipBackend(Netlink netlink) {
        this(netlink, IpipDevice.DEFAULT_NAME);
    }

    public IpipBackend(Netlink netlink, String deviceName) {
        super(netlink);
        this.deviceName = deviceName;
    }

    @Override
    public PathKind kind() {
        return PathKind.IPIP;
    }

    @Override
    protected Verdict probeKernel() {
        return probeDevice(deviceName, new LinkSpec.Ipip(SCRATCH, new IpipConfig(null, null, 0, 0)), LOG);
    }

    @Override
    public void ensureDevice(LocalNode local) {
        Link link = ensureKernelDevice(
                () -> new IpipDevice(netlink, new IpipDevice.Config(deviceName, local.underlayAddress(), 0)).ensure());
        ensureTunnelAddress(link.index(), local);
        device = link;
    }

    @Override
    public Verdict eligibility(PeerView peer) {
        if (!peer.capabilities().contains(PathKind.IPIP)) {
            return Verdict.no("ipip: " + peer.nodeName() + " does not offer it");
        }
        if (!(peer.primaryUnderlay() instanceof Inet4Address)) {
            return Verdict.no("ipip: " + peer.nodeName() + " has no IPv4 underlay address");
        }
        return Verdict.yes("ipip: via " + peer.primaryUnderlay().getHostAddress());
    }

    @Override
    public KernelObjects objectsFor(PeerView peer, List<IpPrefix> destinations) {
        Link link = device;
        if (link == null) {
            throw new IllegalStateException("ipip: ensureDevice has not run");
        }
        List<Route> routes = new ArrayList<>();
        for (IpPrefix d : destinations) {
            routes.add(Route.onlinkVia(d, peer.primaryUnderlay(), link.index()));
        }
        return new KernelObjects(routes, List.of(), List.of());
    }

    @Override
    public int overheadBytes() {
        return OVERHEAD_BYTES;
    }

    @Override
    public List<Integer> ownedLinks() {
        return List.of();
    }
}
