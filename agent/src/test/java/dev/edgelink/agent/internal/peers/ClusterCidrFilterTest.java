package dev.edgelink.agent.internal.peers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.edgelink.dataplane.backend.PathKind;
import dev.edgelink.dataplane.backend.PeerView;
import dev.edgelink.dataplane.backend.StaticPeer;
import dev.edgelink.labsupport.Stderr;
import dev.edgelink.net.IpPrefix;
import dev.edgelink.net.MacAddress;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A peer's pod CIDRs must lie inside clusterCidr; the others are dropped from that peer only. */
class ClusterCidrFilterTest {
    private static final IpPrefix CLUSTER = IpPrefix.parse("10.244.0.0/16");
    private final ClusterCidrFilter filter = new ClusterCidrFilter(CLUSTER);

    private static PeerView peer(String name, String... cidrs) {
        List<IpPrefix> prefixes = Arrays.stream(cidrs).map(IpPrefix::parse).toList();
        return new StaticPeer(name, prefixes, List.of(IpPrefix.literal("10.1.0.7")), Optional.empty(),
                Optional.of(MacAddress.parse("02:00:00:00:00:07")), prefixes.get(0).address(),
                Set.of(PathKind.VXLAN, PathKind.DIRECT));
    }

    @Test
    void aPeerInsideTheClusterCidrIsHandedOnAsItIs() {
        PeerView good = peer("c-n1", "10.244.3.0/24");

        ClusterCidrFilter.Result r = filter.apply(List.of(good));

        assertEquals(1, r.admitted().size());
        assertSame(good, r.admitted().get(0));
        assertEquals(Map.of(), r.refused());
    }

    @Test
    void aCidrOutsideIsDroppedAndTheOtherCidrsOfThatPeerStay() {
        ClusterCidrFilter.Result r = filter.apply(List.of(peer("x-n1", "128.0.0.0/1", "10.244.7.0/24"),
                peer("c-n1", "10.244.3.0/24")));

        assertEquals(List.of("x-n1", "c-n1"), r.admitted().stream().map(PeerView::nodeName).toList());
        PeerView x = r.admitted().get(0);
        assertEquals(List.of(IpPrefix.parse("10.244.7.0/24")), x.podCidrs());
        assertEquals(IpPrefix.literal("10.244.7.0"), x.tunnelAddress(),
                "the announced tunnel address (128.0.0.0) was in the dropped CIDR: probes stay inside the peer's");
        assertEquals(List.of(IpPrefix.literal("10.1.0.7")), x.underlayAddresses());
        assertEquals(Set.of(PathKind.VXLAN, PathKind.DIRECT), x.capabilities());
        assertEquals(Optional.of(MacAddress.parse("02:00:00:00:00:07")), x.vtepMac());
        assertEquals(Map.of("x-n1", List.of("128.0.0.0/1: outside clusterCidr 10.244.0.0/16")), r.refused());
    }

    @Test
    void theTunnelAddressStaysWhenItsCidrIsKept() {
        PeerView x = filter.apply(List.of(peer("x-n1", "10.244.7.0/24", "10.1.0.0/24"))).admitted().get(0);
        assertEquals(IpPrefix.literal("10.244.7.0"), x.tunnelAddress());
        assertEquals(List.of(IpPrefix.parse("10.244.7.0/24")), x.podCidrs());
    }

    @Test
    void aPeerWithNoCidrInsideIsNotHandedOnButReported() {
        ClusterCidrFilter.Result r = filter.apply(List.of(peer("evil", "10.1.0.0/24", "10.0.0.0/8"),
                peer("c-n1", "10.244.3.0/24")));

        assertEquals(List.of("c-n1"), r.admitted().stream().map(PeerView::nodeName).toList());
        assertEquals(List.of("10.1.0.0/24: outside clusterCidr 10.244.0.0/16",
                "10.0.0.0/8: outside clusterCidr 10.244.0.0/16"), r.refused().get("evil"),
                "a CIDR containing the cluster CIDR is not inside it");
    }

    @Test
    void theClusterCidrItselfIsInsideAndAnotherFamilyIsOutside() {
        ClusterCidrFilter.Result r = filter.apply(List.of(peer("all", "10.244.0.0/16"),
                peer("v6", "fd00:244::/64")));

        assertEquals(List.of("all"), r.admitted().stream().map(PeerView::nodeName).toList());
        assertEquals(List.of("fd00:244::/64: outside clusterCidr 10.244.0.0/16"), r.refused().get("v6"));
    }

    @Test
    void eachRefusalIsLoggedOnceWhileItLastsAndAgainWhenItComesBack() {
        List<PeerView> bad = List.of(peer("x-n1", "128.0.0.0/1", "10.244.7.0/24"));
        String log = Stderr.capture(() -> {
            for (int i = 0; i < 4; i++) {
                filter.apply(bad);
            }
        });
        List<String> warnings = log.lines().filter(l -> l.contains("WARN")).toList();
        assertEquals(1, warnings.size(), log);
        assertEquals(true, warnings.get(0).contains("128.0.0.0/1") && warnings.get(0).contains("peer=x-n1")
                && warnings.get(0).contains("10.244.0.0/16"), warnings.get(0));

        String fixed = Stderr.capture(() -> filter.apply(List.of(peer("x-n1", "10.244.7.0/24"))));
        assertEquals(0, fixed.lines().filter(l -> l.contains("WARN")).count(), fixed);
        String back = Stderr.capture(() -> filter.apply(bad));
        assertEquals(1, back.lines().filter(l -> l.contains("WARN")).count(), back);
    }
}
