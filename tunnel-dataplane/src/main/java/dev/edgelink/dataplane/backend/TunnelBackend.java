package dev.edgelink.dataplane.backend;

import dev.edgelink.net.IpPrefix;
import java.util.List;

/**
 * One way of carrying pod traffic to a peer, in the manner of flannel's backends: one implementation per mechanism
 * ({@code hostgw}, {@code ipip}, {@code vxlan}; the userspace one comes later), chosen per peer by the path
 * selector. A backend owns at most one device and, per peer, a few kernel objects that it describes with
 * {@link #objectsFor}; everything it does is idempotent.
 *
 * <p>Lifecycle: {@link #available()} (once; cheap afterwards), {@link #ensureDevice} (at start and on every
 * reconcile, so a device deleted by hand comes back), then {@link #ensurePeer}/{@link #removePeer} or, in the
 * agent, the reconciler applying {@link #objectsFor} for all peers at once.
 */
public interface TunnelBackend {

    /** Which rung of the ladder this is. */
    PathKind kind();

    /**
     * Whether this kernel can do this path at all. Probes the kernel on the first call only (e.g. by creating and
     * deleting a scratch device) and logs one line if it cannot; later calls return the same verdict.
     */
    Verdict available();

    /**
     * Makes this backend's device exist, compatible and up, holding {@code local}'s tunnel address. Idempotent.
     *
     * @throws dev.edgelink.dataplane.netlink.KernelFeatureMissingException when the kernel lacks the feature (the
     *     selector never gets here: it skips rungs whose {@link #available()} says no)
     * @throws UnavailableBackendException when {@link #available()} said no for another reason
     */
    void ensureDevice(LocalNode local);

    /**
     * Whether this path can reach {@code peer} at all, from static facts (a shared subnet for hostgw, a VTEP MAC
     * for vxlan, the peer's capabilities). A yes is not a promise: the selector still probes before use.
     */
    Verdict eligibility(PeerView peer);

    /**
     * The kernel objects that send {@code destinations} (the peer's pod CIDRs, or the /32 of its tunnel address
     * while the path is being probed) to {@code peer} through this path. Needs {@link #ensureDevice} first.
     */
    KernelObjects objectsFor(PeerView peer, List<IpPrefix> destinations);

    /**
     * Installs what {@link #objectsFor} describes for the peer's pod CIDRs.
     *
     * @return true if the kernel was changed
     */
    boolean ensurePeer(PeerView peer);

    /**
     * Removes this backend's objects for the peer (pod CIDR routes, probe route, neighbour, FDB entry) where the
     * kernel still has exactly them; objects of another path to the same peer are left alone.
     *
     * @return true if the kernel was changed
     */
    boolean removePeer(PeerView peer);

    /** Bytes this path adds to every packet (0 for hostgw). */
    int overheadBytes();

    /** Indexes of the links whose permanent neighbours and FDB entries belong to this backend (empty if none). */
    List<Integer> ownedLinks();
}
