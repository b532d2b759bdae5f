package dev.edgelink.agent.internal.peers;

import dev.edgelink.agent.config.Cidrs;
import dev.edgelink.dataplane.backend.PeerView;
import dev.edgelink.dataplane.backend.StaticPeer;
import dev.edgelink.net.IpPrefix;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the peers' pod CIDRs inside {@code clusterCidr} before they reach the data plane: a member announces its pod
 * CIDRs itself, and one claiming {@code 128.0.0.0/1} would otherwise get half of IPv4 routed to it. A CIDR outside
 * is dropped from that peer only (its other CIDRs still work), logged at WARN once while it lasts, and reported per
 * peer ({@link Result#refused()}) for {@code edgelink status}. A peer left with no CIDR is not handed on at all: no
 * route, no probe.
 *
 * <p>The tunnel address of a peer is the first address of its pod CIDR; when that CIDR was dropped, it becomes the
 * first address of the first CIDR kept, so that probes (and the probe route) stay inside space the peer may have.
 *
 * <p>Thread-safe: the agent hands it each new peer set from the peer source's thread.
 */
public final class ClusterCidrFilter {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterCidrFilter.class);

    /**
     * One filtering.
     *
     * @param admitted the peers with at least one CIDR inside {@code clusterCidr}, with those only
     * @param refused per peer (admitted or not) that lost a CIDR, in the peers' order: "CIDR: outside clusterCidr C"
     *     in the record's order
     */
    public record Result(List<PeerView> admitted, Map<String, List<String>> refused) {
        public Result {
            admitted = List.copyOf(admitted);
            refused = Collections.unmodifiableMap(new LinkedHashMap<>(refused));
        }
    }

    private final IpPrefix clusterCidr;
    /** "peer cidr" of the refusals of the last call, so each is logged once while it lasts. */
    private Set<String> logged = Set.of();

    public ClusterCidrFilter(IpPrefix clusterCidr) {
        this.clusterCidr = Objects.requireNonNull(clusterCidr, "clusterCidr");
    }

    /** Filters a whole peer set (see the class comment). */
    public synchronized Result apply(List<PeerView> peers) {
        List<PeerView> admitted = new ArrayList<>();
        Map<String, List<String>> refused = new LinkedHashMap<>();
        Set<String> now = new HashSet<>();
        for (PeerView p : peers) {
            List<IpPrefix> kept = new ArrayList<>();
            List<String> out = new ArrayList<>();
            for (IpPrefix c : p.podCidrs()) {
                if (Cidrs.contains(clusterCidr, c)) {
                    kept.add(c);
                    continue;
                }
                out.add(c + ": outside clusterCidr " + clusterCidr);
                now.add(p.nodeName() + " " + c);
                if (!logged.contains(p.nodeName() + " " + c)) {
                    LOG.warn("pod CIDR {} is outside clusterCidr {}; no route to it (peer={})", c, clusterCidr,
                            p.nodeName());
                }
            }
            if (!out.isEmpty()) {
                refused.put(p.nodeName(), out);
            }
            if (kept.size() == p.podCidrs().size()) {
                admitted.add(p);
            } else if (!kept.isEmpty()) {
                admitted.add(withCidrs(p, kept));
            }
        }
        logged = now;
        return new Result(admitted, refused);
    }

    /** {@code p} with only {@code kept}; its tunnel address moves into them if it was in a dropped CIDR. */
    static PeerView withCidrs(PeerView p, List<IpPrefix> kept) {
        InetAddress announced = p.tunnelAddress();
        InetAddress tunnel = kept.stream().anyMatch(c -> Cidrs.contains(c, announced)) ? announced
                : kept.get(0).address();
        return new StaticPeer(p.nodeName(), kept, p.underlayAddresses(), p.sharedSubnetUnderlay(), p.vtepMac(),
                tunnel, p.capabilities());
    }
}
