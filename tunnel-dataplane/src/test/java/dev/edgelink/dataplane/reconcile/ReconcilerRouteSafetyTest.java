package dev.edgelink.dataplane.reconcile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.dataplane.backend.KernelObjects;
import dev.edgelink.dataplane.backend.LocalNode;
import dev.edgelink.dataplane.backend.PathKind;
import dev.edgelink.dataplane.backend.PeerView;
import dev.edgelink.dataplane.backend.StaticPeer;
import dev.edgelink.dataplane.backend.TunnelBackend;
import dev.edgelink.dataplane.backend.Verdict;
import dev.edgelink.dataplane.netlink.InMemoryNetlink;
import dev.edgelink.dataplane.netlink.Route;
import dev.edgelink.dataplane.path.PathProber;
import dev.edgelink.dataplane.path.PathSelector;
import dev.edgelink.dataplane.path.PathStatus;
import dev.edgelink.dataplane.path.PeerPathMachine;
import dev.edgelink.dataplane.path.PeerPlan;
import dev.edgelink.dataplane.path.ProbeResult;
import dev.edgelink.labsupport.Stderr;
import dev.edgelink.net.IpPrefix;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The reconciler never installs a peer route that would replace or shadow a route that is not ours, per peer CIDR,
 * over an in-memory kernel and a backend that routes every destination into one device.
 */
class ReconcilerRouteSafetyTest {
    private static final IpPrefix LAN = IpPrefix.parse("10.1.0.0/24");
    private static final IpPrefix STATIC = IpPrefix.parse("172.20.0.0/16");
    private static final IpPrefix POD_CIDR_C = IpPrefix.parse("10.244.3.0/24");
    private InMemoryNetlink netlink;
    private int eth0;
    private int tun;
    private Route connected;
    private Route staticRoute;
    private TunBackend backend;
    private Reconciler reconciler;

    /** Routes every destination into one device ({@code DEST dev edgelink0 proto 69}); remembers what it saw. */
    private static final class TunBackend implements TunnelBackend {
        final int link;
        final List<List<IpPrefix>> seenPodCidrs = new ArrayList<>();

        TunBackend(int link) {
            this.link = link;
        }

        @Override
        public PathKind kind() {
            return PathKind.DIRECT;
        }

        @Override
        public Verdict available() {
            return Verdict.yes("always");
        }

        @Override
        public void ensureDevice(LocalNode local) {
        }

        @Override
        public Verdict eligibility(PeerView peer) {
            return Verdict.yes("always");
        }

        @Override
        public KernelObjects objectsFor(PeerView peer, List<IpPrefix> destinations) {
            seenPodCidrs.add(peer.podCidrs());
            return new KernelObjects(destinations.stream().map(d -> Route.direct(d, link)).toList(), List.of(),
                    List.of());
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

    @BeforeEach
    void setUp() {
        netlink = new InMemoryNetlink();
        eth0 = netlink.device("eth0");
        tun = netlink.device("edgelink0");
        connected = new Route(LAN, null, eth0, Route.TABLE_MAIN, Route.PROTOCOL_KERNEL, Route.SCOPE_LINK,
                Route.TYPE_UNICAST, false);
        staticRoute = new Route(STATIC, IpPrefix.literal("10.1.0.254"), eth0, Route.TABLE_MAIN,
                Route.PROTOCOL_STATIC, Route.SCOPE_UNIVERSE, Route.TYPE_UNICAST, false);
        netlink.given(connected);
        netlink.given(staticRoute);
        backend = new TunBackend(tun);
        LocalNode local = new LocalNode("a-n1", "eth0", (Inet4Address) IpPrefix.literal("10.1.0.11"),
                IpPrefix.parse("10.244.1.0/24"), (Inet4Address) IpPrefix.literal("10.244.1.0"), Optional.empty());
        reconciler = new Reconciler(netlink, local, List.of(backend));
    }

    private static PeerView peer(String name, String... cidrs) {
        List<IpPrefix> prefixes = Arrays.stream(cidrs).map(IpPrefix::parse).toList();
        return peer(name, prefixes.get(0).address(), prefixes);
    }

    private static PeerView peer(String name, InetAddress tunnel, List<IpPrefix> cidrs) {
        return new StaticPeer(name, cidrs, List.of(IpPrefix.literal("198.18.0.9")), Optional.empty(),
                Optional.empty(), tunnel, Set.of(PathKind.DIRECT));
    }

    private static PeerPlan active(PeerView p) {
        return new PeerPlan(p, PathKind.DIRECT, null);
    }

    private static PeerPlan trial(PeerView p) {
        return new PeerPlan(p, null, PathKind.DIRECT);
    }

    private List<Route> ours() {
        return netlink.routes(Route.TABLE_MAIN, Route.PROTOCOL_EDGELINK);
    }

    @Test
    void aPeerClaimingTheLanOrPartOfAStaticRouteIsRefusedWhileALegitimatePeerIsInstalled() {
        reconciler.reconcile(List.of(active(peer("evil", "10.1.0.0/24")), active(peer("shadow", "172.20.5.0/24")),
                active(peer("c-n1", "10.244.3.0/24"))));

        assertEquals(List.of(connected, staticRoute, Route.direct(POD_CIDR_C, tun)), netlink.allRoutes());
        assertEquals(List.of("10.1.0.0/24: would replace route 10.1.0.0/24 dev eth0 proto kernel",
                "172.20.5.0/24: would shadow route 172.20.0.0/16 via 10.1.0.254 dev eth0 proto static"),
                reconciler.refused().stream().map(Refusal::toString).toList());
        assertEquals(List.of("evil", "shadow"), reconciler.refused().stream().map(Refusal::peer).toList());
    }

    @Test
    void aRefusalIsPerCidrAndTheBackendSeesThePeerWithItsAllowedCidrsOnly() {
        reconciler.reconcile(List.of(active(peer("c-n1", "10.244.3.0/24", "10.1.0.0/24"))));

        assertEquals(List.of(Route.direct(POD_CIDR_C, tun)), ours());
        assertEquals(List.of(List.of(POD_CIDR_C)), backend.seenPodCidrs);
        assertEquals(List.of(LAN), reconciler.refused().stream().map(Refusal::destination).toList());
    }

    @Test
    void aPeerCidrContainingARouteNotOursIsAllowed() {
        reconciler.reconcile(List.of(active(peer("wide", "172.0.0.0/8"))));

        assertEquals(List.of(Route.direct(IpPrefix.parse("172.0.0.0/8"), tun)), ours());
        assertEquals(List.of(), reconciler.refused());
    }

    @Test
    void theDefaultRouteIsNeverReplaced() {
        Route dhcp = new Route(IpPrefix.parse("0.0.0.0/0"), IpPrefix.literal("10.1.0.1"), eth0, Route.TABLE_MAIN, 16,
                Route.SCOPE_UNIVERSE, Route.TYPE_UNICAST, false);
        netlink.given(dhcp);

        reconciler.reconcile(List.of(active(peer("evil", "0.0.0.0/0")), active(peer("c-n1", "10.244.3.0/24"))));

        assertEquals(List.of(Route.direct(POD_CIDR_C, tun)), ours());
        assertEquals(Refusal.Reason.REPLACES_ROUTE, reconciler.refused().get(0).reason());
        assertTrue(netlink.allRoutes().contains(dhcp));
    }

    @Test
    void ipv6PeerCidrsAreGuardedToo() {
        Route lan6 = new Route(IpPrefix.parse("fd00:1::/64"), null, eth0, Route.TABLE_MAIN, Route.PROTOCOL_KERNEL,
                Route.SCOPE_LINK, Route.TYPE_UNICAST, false);
        netlink.given(lan6);

        reconciler.reconcile(List.of(active(peer("evil6", "fd00:1::/64")), active(peer("c6", "fd00:244:3::/64"))));

        assertEquals(List.of(Route.direct(IpPrefix.parse("fd00:244:3::/64"), tun)), ours());
        assertEquals(List.of(IpPrefix.parse("fd00:1::/64")),
                reconciler.refused().stream().map(Refusal::destination).toList());
    }

    @Test
    void aRefusalIsLoggedOnceWhileItLastsAndTheEndOfItOnce() {
        List<PeerPlan> withEvil = List.of(active(peer("evil", "10.1.0.0/24")), active(peer("c-n1", "10.244.3.0/24")));
        String log = Stderr.capture(() -> {
            for (int i = 0; i < 5; i++) {
                reconciler.reconcile(withEvil);
            }
        });
        List<String> warnings = log.lines().filter(l -> l.contains("WARN") && l.contains("refused")).toList();
        assertEquals(1, warnings.size(), log);
        assertTrue(warnings.get(0).contains("10.1.0.0/24") && warnings.get(0).contains("peer=evil")
                && warnings.get(0).contains("dev eth0 proto kernel"), warnings.get(0));

        String ended = Stderr.capture(() -> reconciler.reconcile(List.of(active(peer("c-n1", "10.244.3.0/24")))));
        assertEquals(List.of(), reconciler.refused());
        assertEquals(1, ended.lines().filter(l -> l.contains("no longer refused")).count(), ended);

        String again = Stderr.capture(() -> reconciler.reconcile(withEvil));
        assertEquals(1, again.lines().filter(l -> l.contains("WARN") && l.contains("refused")).count(), again);
    }

    @Test
    void ourRouteToADestinationThatBecameRefusedGoesAtOnceEvenWhileLeftObjectsAreHeld() {
        Route ours = Route.direct(POD_CIDR_C, tun);
        netlink.given(ours);
        reconciler.holdLeftObjects(Duration.ofHours(1), () -> 0L);
        Route adminRoute = new Route(POD_CIDR_C, IpPrefix.literal("10.1.0.254"), eth0, Route.TABLE_MAIN,
                Route.PROTOCOL_STATIC, Route.SCOPE_UNIVERSE, Route.TYPE_UNICAST, false);
        netlink.given(adminRoute);

        reconciler.reconcile(List.of(active(peer("c-n1", "10.244.3.0/24"))));

        assertEquals(List.of(connected, staticRoute, adminRoute), netlink.allRoutes());
        assertEquals(Refusal.Reason.REPLACES_ROUTE, reconciler.refused().get(0).reason());
    }

    @Test
    void aTrialRouteGoesOnlyToATunnelAddressInsideThePeersAllowedPodCidrs() {
        PeerView outside = peer("sly", IpPrefix.literal("10.1.0.5"), List.of(POD_CIDR_C));
        PeerView inLan = peer("evil", "10.1.0.0/24");
        PeerView fine = peer("d-n1", "10.244.4.0/24");

        reconciler.reconcile(List.of(trial(outside), trial(inLan), trial(fine)));

        assertEquals(List.of(Route.direct(IpPrefix.parse("10.244.4.0/32"), tun)), ours());
        List<Refusal> refused = reconciler.refused();
        assertEquals(List.of("10.1.0.5/32 OUTSIDE_PEER_POD_CIDRS", "10.1.0.0/24 REPLACES_ROUTE"),
                refused.stream().map(f -> f.destination() + " " + f.reason()).toList(),
                "evil's probe route is covered by the refusal of its pod CIDR");
        assertEquals("the tunnel address is in none of the peer's pod CIDRs", refused.get(0).detail());
    }

    @Test
    void aProbeRouteRefusalLastsAsLongAsItsCauseNotOnlyWhileATrialRuns() {
        PeerView outside = peer("sly", IpPrefix.literal("10.1.0.5"), List.of(POD_CIDR_C));
        String log = Stderr.capture(() -> {
            reconciler.reconcile(List.of(trial(outside)));
            reconciler.reconcile(List.of(new PeerPlan(outside, null, null)));
            reconciler.reconcile(List.of(trial(outside)));
        });

        assertEquals(List.of(IpPrefix.parse("10.1.0.5/32")),
                reconciler.refused().stream().map(Refusal::destination).toList());
        assertEquals(1, log.lines().filter(l -> l.contains("WARN") && l.contains("refused")).count(), log);
        assertEquals(0, log.lines().filter(l -> l.contains("no longer refused")).count(), log);
    }

    @Test
    void aTrialRouteThatWouldShadowARouteInsideThePeersCidrIsRefused() {
        Route narrow = new Route(IpPrefix.parse("10.244.3.0/28"), IpPrefix.literal("10.1.0.254"), eth0,
                Route.TABLE_MAIN, Route.PROTOCOL_STATIC, Route.SCOPE_UNIVERSE, Route.TYPE_UNICAST, false);
        netlink.given(narrow);

        reconciler.reconcile(List.of(new PeerPlan(peer("c-n1", "10.244.3.0/24"), PathKind.DIRECT, PathKind.DIRECT)));

        assertEquals(List.of(Route.direct(POD_CIDR_C, tun)), ours(), "the /24 contains the /28: allowed");
        assertEquals(List.of("10.244.3.0/32: would shadow route 10.244.3.0/28 via 10.1.0.254 dev eth0 proto static"),
                reconciler.refused().stream().map(Refusal::toString).toList());
    }

    @Test
    void aPeerWhoseTunnelAddressHasNoRouteOfOursIsNotProbedAndItsProbeFails() {
        List<String> probed = new ArrayList<>();
        PathProber prober = (peer, path) -> {
            probed.add(peer.nodeName());
            return CompletableFuture.completedFuture(ProbeResult.success(1_000));
        };
        PathSelector selector = new PathSelector(List.of(backend), new PeerPathMachine.Settings(1,
                Duration.ofSeconds(1), Duration.ofSeconds(30), Duration.ofMinutes(5), Duration.ofSeconds(2),
                Duration.ofSeconds(16)));
        DataplaneLoop loop = new DataplaneLoop(selector, reconciler, prober, () -> 0L);
        loop.setPeers(List.of(peer("evil", "10.1.0.0/24"), peer("c-n1", "10.244.3.0/24")));

        loop.runOnce();

        assertEquals(List.of("c-n1"), probed);
        assertEquals(List.of(Route.direct(POD_CIDR_C, tun)), ours());
        PathStatus evil = selector.status("evil").orElseThrow();
        assertEquals(null, evil.path());
        assertTrue(evil.reason().contains("not probed: route to 10.1.0.0/24 refused"), evil.reason());
        assertEquals(List.of(connected, staticRoute, Route.direct(POD_CIDR_C, tun)), netlink.allRoutes());
    }
}
