package dev.edgelink.agent.internal.dataplane;

import dev.edgelink.dataplane.backend.KernelObjects;
import dev.edgelink.dataplane.backend.LocalNode;
import dev.edgelink.dataplane.backend.PathKind;
import dev.edgelink.dataplane.backend.PeerView;
import dev.edgelink.dataplane.backend.TunnelBackend;
import dev.edgelink.dataplane.backend.Verdict;
import dev.edgelink.net.IpPrefix;
import java.util.List;
import java.util.function.Function;

/**
 * A kernel backend that is not eligible for peers across a NAT: a kernel tunnel sends to the peer's underlay
 * address and expects the answer from it, which a NAT between the two rewrites. Everything else is the wrapped
 * backend's. The gate (from the node records' sites and reachabilities) answers null when the peer is fine.
 */
final class NatAwareBackend implements TunnelBackend {
    private final TunnelBackend kernel;
    private final Function<PeerView, String> refusal;

    NatAwareBackend(TunnelBackend kernel, Function<PeerView, String> refusal) {
        this.kernel = kernel;
        this.refusal = refusal;
    }

    @Override
    public PathKind kind() {
        return kernel.kind();
    }

    @Override
    public Verdict available() {
        return kernel.available();
    }

    @Override
    public void ensureDevice(LocalNode local) {
        kernel.ensureDevice(local);
    }

    @Override
    public Verdict eligibility(PeerView peer) {
        String no = refusal.apply(peer);
        return no == null ? kernel.eligibility(peer) : Verdict.no(kernel.kind() + ": " + no);
    }

    @Override
    public KernelObjects objectsFor(PeerView peer, List<IpPrefix> destinations) {
        return kernel.objectsFor(peer, destinations);
    }

    @Override
    public boolean ensurePeer(PeerView peer) {
        return kernel.ensurePeer(peer);
    }

    @Override
    public boolean removePeer(PeerView peer) {
        return kernel.removePeer(peer);
    }

    @Override
    public int overheadBytes() {
        return kernel.overheadBytes();
    }

    @Override
    public List<Integer> ownedLinks() {
        return kernel.ownedLinks();
    }
}
