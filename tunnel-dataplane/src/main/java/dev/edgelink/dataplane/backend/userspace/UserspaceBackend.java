package dev.edgelink.dataplane.backend.userspace;

import dev.edgelink.dataplane.backend.KernelObjects;
import dev.edgelink.dataplane.backend.LocalNode;
import dev.edgelink.dataplane.backend.PathKind;
import dev.edgelink.dataplane.backend.PeerView;
import dev.edgelink.dataplane.backend.TunnelBackend;
import dev.edgelink.dataplane.backend.Verdict;
import dev.edgelink.dataplane.netlink.Netlink;
import dev.edgelink.dataplane.netlink.Route;
import dev.edgelink.net.IpPrefix;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The two userspace rungs, {@code direct} and {@code relayed}, in the manner of nebula and wireguard-go: the kernel
 * routes a peer's pod CIDRs into the TUN device {@code edgelink0}, and the {@link
 * dev.edgelink.dataplane.tunnel.TunnelService} carries the packets as frames on the peer's long-lived
 * {@code /edgelink/tunnel/1.0.0} stream, over a direct (possibly hole-punched) or a relayed libp2p connection. Both
 * rungs share one {@link UserspaceDevice}; the agent decides which connection the stream uses.
 *
 * <p>Per peer the kernel gets one route per destination into the device, and the service's prefix table learns
 * which node those destinations belong to. The two rungs' routes differ only so that moving a peer from one to the
 * other is the usual make-before-break (replace, then remove the old rung's exact route, which is then gone):
 * <ul>
 *   <li>direct: {@code DEST dev edgelink0 scope link proto 69}</li>
 *   <li>relayed: {@code DEST via PEER_TUNNEL_ADDRESS dev edgelink0 onlink proto 69} (on a TUN device the gateway
 *       changes nothing: there is no neighbour resolution on an L3 device)</li>
 * </ul>
 *
 * <p>Overhead ({@link #OVERHEAD_BYTES}): a packet travels inside a TCP connection, so no wire MTU limits it and
 * a large packet is only split into several TCP segments. The overhead given to the MTU calculator is what keeps
 * one full-sized pod packet inside one underlay segment of a full-sized connection:
 * <pre>
 *   IPv4 header                         20
 *   TCP header with timestamps          32   (20 + 12 of the timestamp option Linux sends by default)
 *   Noise: 2-byte length + 16-byte tag  18   (one transport message per write)
 *   Yamux header                        12
 *   tunnel frame header                  4
 *                                      ---
 *                                       86
 * </pre>
 * With batching several packets share one Noise message and one Yamux frame, so on a busy stream the real cost per
 * packet is closer to the 4 bytes of the frame header.
 */
public final class UserspaceBackend implements TunnelBackend {
    /** Bytes to subtract from the underlay MTU for the userspace rungs; see the class comment. */
    public static final int OVERHEAD_BYTES = 20 + 32 + 18 + 12 + 4;

    private final PathKind kind;
    private final Netlink netlink;
    private final UserspaceDevice device;

    /**
     * @param kind {@link PathKind#DIRECT} or {@link PathKind#RELAYED}
     * @param netlink the socket {@code device} was made with
     * @param device the device both rungs share
     */
    public UserspaceBackend(PathKind kind, Netlink netlink, UserspaceDevice device) {
        if (kind != PathKind.DIRECT && kind != PathKind.RELAYED) {
            throw new IllegalArgumentException("the userspace backend serves direct and relayed, not " + kind);
        }
        this.kind = kind;
        this.netlink = Objects.requireNonNull(netlink, "netlink");
        this.device = Objects.requireNonNull(device, "device");
    }

    @Override
    public PathKind kind() {
        return kind;
    }

    public UserspaceDevice device() {
        return device;
    }

    @Override
    public Verdict available() {
        return device.available();
    }

    @Override
    public void ensureDevice(LocalNode local) {
        device.ensure(local);
    }

    @Override
    public Verdict eligibility(PeerView peer) {
        if (!peer.capabilities().contains(kind)) {
            return Verdict.no(kind + ": " + peer.nodeName() + " does not offer it");
        }
        return Verdict.yes(kind + ": over a libp2p stream to " + peer.nodeName());
    }

    /**
     * The routes into the device, and (in memory, not in the kernel) the service's prefix table entries for the
     * peer's pod CIDRs and {@code destinations}, so that no route ever sends packets the reader cannot place.
     */
    @Override
    public KernelObjects objectsFor(PeerView peer, List<IpPrefix> destinations) {
        int index = device.link().index();
        Set<IpPrefix> prefixes = new LinkedHashSet<>(peer.podCidrs());
        prefixes.addAll(destinations);
        device.service().ifPresent(s -> s.setPeer(peer.nodeName(), new ArrayList<>(prefixes)));
        List<Route> routes = new ArrayList<>();
        for (IpPrefix d : destinations) {
            routes.add(kind == PathKind.DIRECT ? Route.direct(d, index)
                    : Route.onlinkVia(d, peer.tunnelAddress(), index));
        }
        return new KernelObjects(routes, List.of(), List.of());
    }

    @Override
    public boolean ensurePeer(PeerView peer) {
        return objectsFor(peer, peer.podCidrs()).ensure(netlink);
    }

    /**
     * Removes this rung's routes for the peer. The peer stays in the prefix table and keeps its stream: the other
     * rung may be carrying it; the agent calls {@code TunnelService.removePeer} when the node leaves.
     */
    @Override
    public boolean removePeer(PeerView peer) {
        List<IpPrefix> all = new ArrayList<>(peer.podCidrs());
        all.add(IpPrefix.host(peer.tunnelAddress()));
        int index = device.link().index();
        List<Route> routes = new ArrayList<>();
        for (IpPrefix d : all) {
            routes.add(kind == PathKind.DIRECT ? Route.direct(d, index)
                    : Route.onlinkVia(d, peer.tunnelAddress(), index));
        }
        return new KernelObjects(routes, List.of(), List.of()).remove(netlink);
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
