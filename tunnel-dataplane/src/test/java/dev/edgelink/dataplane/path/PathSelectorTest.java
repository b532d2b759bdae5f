package dev.edgelink.dataplane.path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.dataplane.backend.KernelObjects;
import dev.edgelink.dataplane.backend.LocalNode;
import dev.edgelink.dataplane.backend.PathKind;
import dev.edgelink.dataplane.backend.PeerView;
import dev.edgelink.dataplane.backend.StaticPeer;
import dev.edgelink.dataplane.backend.TunnelBackend;
import dev.edgelink.dataplane.backend.Verdict;
import dev.edgelink.net.IpPrefix;
import dev.edgelink.net.MacAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The selector over fake backends and a fake prober: no kernel, no sockets, injected time. */
class PathSelectorTest {
    private static final PeerPathMachine.Settings SETTINGS = new PeerPathMachine.Settings(2, Duration.ofNanos(10),
            Duration.ofNanos(1_000), Duration.ofNanos(1_000_000), Duration.ofNanos(1_000), Duration.ofNanos(8_000));
    private static final PeerView NODE2 = StaticPeer.of("node2", IpPrefix.parse("10.244.2.0/24"),
            IpPrefix.literal("10.0.0.2"), MacAddress.parse("02:00:00:00:00:02"));
    private static final PeerView NODE3 = StaticPeer.of("node3", IpPrefix.parse("10.244.3.0/24"),
            IpPrefix.literal("10.0.1.3"), MacAddress.parse("02:00:00:00:00:03"));

    /** A backend whose verdicts are fixed; it never touches a kernel. */
    private record FakeBackend(PathKind kind, Verdict available, Set<String> eligiblePeers) implements TunnelBackend {
        @Override
        public void ensureDevice(LocalNode local) {
        }

        @Override
        public Verdict eligibility(PeerView peer) {
            return eligiblePeers.contains(peer.nodeName()) ? Verdict.yes(kind + ": fine")
                    : Verdict.no(kind + ": not for " + peer.nodeName());
        }

        @Override
        public KernelObjects objectsFor(PeerView peer, List<IpPrefix> destinations) {
            return KernelObjects.NONE;
        }

        @Override
        public boolean ensurePeer(PeerView peer) {
            return false;
        }

        @Override
        public boolean removePeer(PeerView peer) {
            return false;
        }

        @Override
        public int overheadBytes() {
            return 0;
        }

        @Override
        public List<Integer> ownedLinks() {
            return List.of();
        }
    }

    private static PathSelector selector() {
        return new PathSelector(List.of(
                new FakeBackend(PathKind.VXLAN, Verdict.yes("ok"), Set.of("node2", "node3")),
                new FakeBackend(PathKind.IPIP, Verdict.no("ipip unavailable on this kernel (EOPNOTSUPP)"), Set.of()),
                new FakeBackend(PathKind.HOSTGW, Verdict.yes("ok"), Set.of("node2"))), SETTINGS);
    }

    /** One round as the data plane loop does it, with a prober that answers only through {@code working}. */
    private static void round(PathSelector s, long now, Set<String> working) {
        s.tick(now);
        for (PathSelector.ProbeRequest r : s.dueProbes(now)) {
            boolean ok = working.contains(r.peer().nodeName() + "/" + r.path());
            s.onProbeResult(r.peer().nodeName(), r.path(), ok ? ProbeResult.success(5) : ProbeResult.failure("lost"),
                    now);
        }
    }

    @Test
    void theLadderIsOrderedByPreferenceWhateverTheOrderGiven() {
        assertEquals(List.of(PathKind.HOSTGW, PathKind.IPIP, PathKind.VXLAN),
                selector().ladder().stream().map(TunnelBackend::kind).toList());
    }

    @Test
    void twoBackendsForOneRungAreRefused() {
        FakeBackend a = new FakeBackend(PathKind.VXLAN, Verdict.yes("ok"), Set.of());
        assertThrows(IllegalArgumentException.class, () -> new PathSelector(List.of(a, a), SETTINGS));
    }

    @Test
    void eachPeerGetsTheBestRungThatAnswersAndTheReasonSaysWhy() {
        PathSelector s = selector();
        s.upsertPeer(NODE2, 0);
        s.upsertPeer(NODE3, 0);
        Set<String> working = Set.of("node2/hostgw", "node2/vxlan", "node3/vxlan");

        round(s, 0, working);

        assertEquals(PathKind.HOSTGW, s.status("node2").orElseThrow().path());
        assertEquals("hostgw: fine", s.status("node2").orElseThrow().reason());
        assertEquals(PathKind.VXLAN, s.status("node3").orElseThrow().path());
        assertEquals("vxlan: ipip unavailable on this kernel (EOPNOTSUPP); hostgw: not for node3",
                s.status("node3").orElseThrow().reason());
    }

    @Test
    void plansShowTheTrialBeforeThePathIsUsedAndTheActivePathAfter() {
        PathSelector s = selector();
        s.upsertPeer(NODE2, 0);
        s.tick(0);
        assertEquals(List.of(new PeerPlan(NODE2, null, PathKind.HOSTGW)), s.plans());

        s.onProbeResult("node2", PathKind.HOSTGW, ProbeResult.success(5), 1);
        assertEquals(List.of(new PeerPlan(NODE2, PathKind.HOSTGW, null)), s.plans());
    }

    @Test
    void aBrokenPathIsLeftForTheNextRungAndRetriedLater() {
        PathSelector s = selector();
        s.upsertPeer(NODE2, 0);
        round(s, 0, Set.of("node2/hostgw", "node2/vxlan"));
        assertEquals(PathKind.HOSTGW, s.status("node2").orElseThrow().path());

        Set<String> hostgwBroken = Set.of("node2/vxlan");
        round(s, 10, hostgwBroken);
        round(s, 20, hostgwBroken);
        assertEquals(new PeerPlan(NODE2, PathKind.HOSTGW, PathKind.VXLAN), s.plans().get(0),
                "vxlan on trial, hostgw kept until vxlan is verified");
        round(s, 30, hostgwBroken);
        assertEquals(PathKind.VXLAN, s.status("node2").orElseThrow().path());

        round(s, 20 + 999, Set.of("node2/hostgw", "node2/vxlan"));
        assertEquals(PathKind.VXLAN, s.status("node2").orElseThrow().path(), "hostgw retried 1000 ns after failing");
        round(s, 20 + 1_000, Set.of("node2/hostgw", "node2/vxlan"));
        assertEquals(PathKind.HOSTGW, s.status("node2").orElseThrow().path());
    }

    @Test
    void aGateThatFlipsMakesTheKernelRungIneligibleInTheNextRoundOnlyWhenReevaluated() {
        Set<String> hostgwGate = new HashSet<>(Set.of("node2"));
        PathSelector s = new PathSelector(List.of(
                new FakeBackend(PathKind.VXLAN, Verdict.yes("ok"), Set.of("node2")),
                new FakeBackend(PathKind.HOSTGW, Verdict.yes("ok"), hostgwGate)), SETTINGS);
        s.upsertPeer(NODE2, 0);
        Set<String> working = Set.of("node2/hostgw", "node2/vxlan");
        round(s, 0, working);
        assertEquals(PathKind.HOSTGW, s.status("node2").orElseThrow().path());

        hostgwGate.clear(); // our side changed (say, our reachability): hostgw is no longer for node2
        round(s, 10, working);
        assertEquals(PathKind.HOSTGW, s.status("node2").orElseThrow().path(), "nobody asked the gate again");

        s.reevaluate(20);
        round(s, 20, working);
        assertEquals(PathKind.VXLAN, s.status("node2").orElseThrow().path());
        assertEquals("vxlan: hostgw: not for node2", s.status("node2").orElseThrow().reason());
    }

    @Test
    void trafficReachesThePeersMachineAndAnUnknownPeersIsIgnored() {
        PathSelector s = selector();
        s.upsertPeer(NODE2, 0);
        round(s, 0, Set.of("node2/hostgw"));
        round(s, 1_000_000, Set.of("node2/hostgw"));
        assertTrue(s.dueProbes(1_000_000 + 999).isEmpty(), "idle: probed 1000 ns after the last probe");

        s.onTraffic("node2", 1_000_001);
        s.onTraffic("node9", 1_000_001);

        assertEquals(List.of(new PathSelector.ProbeRequest(NODE2, PathKind.HOSTGW)), s.dueProbes(1_000_001));
    }

    /**
     * The cost of probing at fleet scale: 1000 peers of which 5 % have pod traffic, with the agent's default timing
     * (probe interval 300 ms, idle after 5 min, idle kernel paths every 30 s), over a quarter of an hour of
     * injected time. Kernel paths: 50 / 0.3 s + 950 / 30 s = 198 probes/s, against 3333 with every peer probed at
     * the probe interval. Userspace paths: the idle peers are parked, 50 / 0.3 s = 167 probes/s.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = PathKind.class, names = {"VXLAN", "DIRECT"})
    void probesFollowTrafficAtAThousandPeers(PathKind rung) {
        PeerPathMachine.Settings agent = new PeerPathMachine.Settings(3, Duration.ofMillis(300),
                Duration.ofSeconds(30), Duration.ofMinutes(5), Duration.ofSeconds(2), Duration.ofSeconds(16));
        Set<String> all = new HashSet<>();
        List<PeerView> peers = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            String name = "n" + i;
            all.add(name);
            peers.add(StaticPeer.of(name, IpPrefix.parse("10." + (i / 250) + "." + (i % 250) + ".0/24"),
                    IpPrefix.literal("192.168.0.1"), MacAddress.parse("02:00:00:00:00:02")));
        }
        PathSelector s = new PathSelector(List.of(new FakeBackend(rung, Verdict.yes("ok"), all)), agent);
        peers.forEach(p -> s.upsertPeer(p, 0));
        long step = Duration.ofMillis(300).toNanos();
        long measureFrom = Duration.ofMinutes(10).toNanos();
        long end = Duration.ofMinutes(15).toNanos();
        long probes = 0;
        for (long now = 0; now < end; now += step) {
            for (int i = 0; i < 50; i++) {
                s.onTraffic("n" + i, now);
            }
            s.tick(now);
            List<PathSelector.ProbeRequest> due = s.dueProbes(now);
            for (PathSelector.ProbeRequest r : due) {
                s.onProbeResult(r.peer().nodeName(), r.path(), ProbeResult.success(5), now);
            }
            probes += now >= measureFrom ? due.size() : 0;
        }
        double perSecond = probes / ((end - measureFrom) / 1e9);
        double expected = 50 / 0.3 + (rung.kernel() ? 950 / 30.0 : 0);
        System.out.printf("1000 peers, 50 active, %s paths: %.1f probes/s (every peer active: %.1f)%n", rung,
                perSecond, 1000 / 0.3);
        assertEquals(expected, perSecond, expected * 0.02);
        long parked = s.statuses().stream().filter(PathStatus::parked).count();
        assertEquals(rung.kernel() ? 0 : 950, parked);
        assertEquals(1000, s.statuses().stream().filter(st -> st.path() == rung).count(), "every peer keeps its path");
    }

    @Test
    void aDepartedPeerHasNoPlanAndNoStatus() {
        PathSelector s = selector();
        s.upsertPeer(NODE2, 0);
        s.upsertPeer(NODE3, 0);
        s.removePeer("node2");
        assertEquals(List.of("node3"), s.peerNames());
        assertTrue(s.status("node2").isEmpty());
        assertEquals(1, s.plans().size());
        s.onProbeResult("node2", PathKind.HOSTGW, ProbeResult.success(1), 5);
        assertEquals(new HashSet<>(List.of("node3")), new HashSet<>(s.peerNames()));
    }
}
