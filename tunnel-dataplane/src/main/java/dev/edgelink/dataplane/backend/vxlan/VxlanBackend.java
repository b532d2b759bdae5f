package dev.edgelink.dataplane.backend.vxlan;

import dev.edgelink.dataplane.backend.KernelBackend;
import dev.edgelink.dataplane.backend.KernelObjects;
import dev.edgelink.dataplane.backend.LocalNode;
import dev.edgelink.dataplane.backend.PathKind;
import dev.edgelink.dataplane.backend.PeerView;
import dev.edgelink.dataplane.backend.Verdict;
import dev.edgelink.dataplane.kernel.VxlanDevice;
import dev.edgelink.dataplane.netlink.FdbEntry;
import dev.edgelink.dataplane.netlink.Link;
import dev.edgelink.dataplane.netlink.LinkSpec;
import dev.edgelink.dataplane.netlink.Neighbor;
import dev.edgelink.dataplane.netlink.Netlink;
import dev.edgelink.dataplane.netlink.Route;
import dev.edgelink.dataplane.netlink.VxlanConfig;
import dev.edgelink.net.IpPrefix;
import dev.edgelink.net.MacAddress;
import java.net.Inet4Address;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * vxlan in flannel's v0.9+ scheme. One device, {@code edgelink.vxlan} (VNI 1, port 8472, no learning), holding
 * this node's tunnel address as a /32. Per remote node exactly three objects, all set by us, none learned:
 *
 * <pre>
 *   route  POD_CIDR via REMOTE_TUNNEL_ADDR dev edgelink.vxlan onlink proto 69
 *   neigh  REMOTE_TUNNEL_ADDR lladdr REMOTE_VTEP_MAC dev edgelink.vxlan nud permanent
 *   fdb    REMOTE_VTEP_MAC dev edgelink.vxlan dst REMOTE_UNDERLAY self permanent
 * </pre>
 *
 * The route makes the kernel want the remote tunnel address as next hop; the neighbour gives it the inner
 * destination MAC without ARP; the FDB entry tells the device which underlay address that MAC lives behind. State
 * is linear in the number of nodes and no L2/L3-miss daemon is needed (the reason flannel moved to this scheme).
 */
public final class VxlanBackend extends KernelBackend {
    /** Outer IPv4 (20) + UDP (8) + VXLAN (8) + inner Ethernet (14). */
    public static final int OVERHEAD_BYTES = 50;
    private static final Logger LOG = LoggerFactory.getLogger(VxlanBackend.class);
    private static final String SCRATCH = "elprobe.vxlan";

    private final String deviceName;
    private volatile Link device;

    public VxlanBackend(Netlink netlink) {
        this(netlink, VxlanDevice.DEFAULT_NAME);
    }

    public VxlanBackend(Netlink netlink, String deviceName) {
        super(netlink);
        this.deviceName = deviceName;
    }

    @Override
    public PathKind kind() {
        return PathKind.VXLAN;
    }

    @Override
    protected Verdict probeKernel() {
        // A VNI and port of its own, so the scratch device never collides with a real one.
        VxlanConfig scratch = new VxlanConfig(VxlanConfig.MAX_VNI, null, 0, 4790, false, 0);
        return probeDevice(deviceName, new LinkSpec.Vxlan(SCRATCH, scratch), LOG);
    }

    @Override
    public void ensureDevice(LocalNode local) {
        Link link = ensureKernelDevice(() -> new VxlanDevice(netlink, new VxlanDevice.Config(deviceName,
                VxlanDevice.DEFAULT_VNI, local.underlayAddress(), local.underlayDevice(), VxlanDevice.DEFAULT_PORT,
                0)).ensure());
        if (local.vtepMac().isPresent() && !local.vtepMac().get().equals(link.address())) {
            netlink.setAddress(link.index(), local.vtepMac().get());
            link = netlink.getLink(deviceName);
        }
        ensureTunnelAddress(link.index(), local);
        device = link;
    }

    /** This node's VTEP MAC (to publish in the node record); needs {@link #ensureDevice} first. */
    public MacAddress vtepMac() {
        return device().address();
    }

    @Override
    public Verdict eligibility(PeerView peer) {
        if (!peer.capabilities().contains(PathKind.VXLAN)) {
            return Verdict.no("vxlan: " + peer.nodeName() + " does not offer it");
        }
        if (peer.vtepMac().isEmpty()) {
            return Verdict.no("vxlan: " + peer.nodeName() + " published no VTEP MAC");
        }
        if (!(peer.primaryUnderlay() instanceof Inet4Address)) {
            return Verdict.no("vxlan: " + peer.nodeName() + " has no IPv4 underlay address");
        }
        return Verdict.yes("vxlan: VTEP " + peer.vtepMac().get() + " at " + peer.primaryUnderlay().getHostAddress());
    }

    @Override
    public KernelObjects objectsFor(PeerView peer, List<IpPrefix> destinations) {
        Link link = device();
        MacAddress mac = peer.vtepMac().orElseThrow(() -> new IllegalStateException(
                "vxlan: " + peer.nodeName() + " published no VTEP MAC"));
        List<Route> routes = new ArrayList<>();
        for (IpPrefix d : destinations) {
            routes.add(Route.onlinkVia(d, peer.tunnelAddress(), link.index()));
        }
        return new KernelObjects(routes, List.of(Neighbor.permanent(link.index(), peer.tunnelAddress(), mac)),
                List.of(new FdbEntry(link.index(), mac, peer.primaryUnderlay())));
    }

    @Override
    public int overheadBytes() {
        return OVERHEAD_BYTES;
    }

    @Override
    public List<Integer> ownedLinks() {
        Link link = device;
        return link == null ? List.of() : List.of(link.index());
    }

    private Link device() {
        Link link = device;
        if (link == null) {
            throw new IllegalStateException("vxlan: ensureDevice has not run");
        }
        return link;
    }
}
