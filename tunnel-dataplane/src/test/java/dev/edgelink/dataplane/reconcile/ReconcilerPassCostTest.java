package dev.edgelink.dataplane.reconcile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.dataplane.backend.KernelObjects;
import dev.edgelink.dataplane.backend.LocalNode;
import dev.edgelink.dataplane.backend.PathKind;
import dev.edgelink.dataplane.backend.PeerView;
import dev.edgelink.dataplane.backend.StaticPeer;
import dev.edgelink.dataplane.backend.TunnelBackend;
import dev.edgelink.dataplane.backend.Verdict;
import dev.edgelink.dataplane.netlink.FdbEntry;
import dev.edgelink.dataplane.netlink.InMemoryNetlink;
import dev.edgelink.dataplane.netlink.Neighbor;
import dev.edgelink.dataplane.netlink.Netlink;
import dev.edgelink.dataplane.netlink.NetlinkException;
import dev.edgelink.dataplane.netlink.Route;
import dev.edgelink.dataplane.path.PathSelector;
import dev.edgelink.dataplane.path.PeerPathMachine;
import dev.edgelink.dataplane.path.PeerPlan;
import dev.edgelink.dataplane.path.ProbeResult;
import dev.edgelink.labsupport.Stderr;
import dev.edgelink.net.IpPrefix;
import dev.edgelink.net.MacAddress;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.Inet4Address;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What a reconcile pass costs as the fleet grows, over an in-memory kernel that counts the calls made to it: one read
 * per table per pass whatever the number of peers, a peer's objects asked of its backend again only when something
 * about it changed, and a fleet that did not change costs no change; drift, the end of a hold and a route that
 * appears behind our back are still seen.
 */
class ReconcilerPassCostTest {
    private static final IpPrefix POD_CIDR = IpPrefix.parse("10.244.0.0/24");
    private InMemoryNetlink kernel;
    private final Map<String, Integer> calls = new HashMap<>();
    /** Run before a call reaches the kernel (by method name). */
    private final Map<String, Consumer<Object[]>> before = new HashMap<>();
    private Netlink netlink;
    private int vxlan;
    private VxBackend backend;
    private Reconciler reconciler;

    /** The vxlan scheme on one device: a route, a permanent neighbour and an FDB entry per peer; counts its calls. */
    private static final class VxBackend implements TunnelBackend {
        final int link;
        int asked;

        VxBackend(int link) {
            this.link = link;
        }

        @Override
        public PathKind kind() {
            return PathKind.VXLAN;
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
            asked++;
            MacAddress mac = peer.vtepMac().orElseThrow();
            return new KernelObjects(destinations.stream().map(d -> Route.onlinkVia(d, peer.tunnelAddress(), link))
                    .toList(), List.of(Neighbor.permanent(link, peer.tunnelAddress(), mac)),
                    List.of(new FdbEntry(link, mac, peer.primaryUnderlay())));
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
            return 50;
        }

        @Override
        public List<Integer> ownedLinks() {
            return List.of(link);
        }
    }

    @BeforeEach
    void setUp() {
        kernel = new InMemoryNetlink();
        kernel.device("eth0");
        vxlan = kernel.device("edgelink.vxlan");
        netlink = (Netlink) Proxy.newProxyInstance(Netlink.class.getClassLoader(), new Class<?>[] {Netlink.class},
                (proxy, method, args) -> {
                    calls.merge(method.getName(), 1, Integer::sum);
                    before.getOrDefault(method.getName(), a -> { }).accept(args);
                    try {
                        return method.invoke(kernel, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        backend = new VxBackend(vxlan);
        LocalNode local = new LocalNode("n0", "eth0", (Inet4Address) IpPrefix.literal("198.18.0.1"), POD_CIDR,
                (Inet4Address) POD_CIDR.address(), Optional.empty());
        reconciler = new Reconciler(netlink, local, List.of(backend));
    }

    private static PeerView peer(int i) {
        IpPrefix cidr = IpPrefix.parse("10.244." + i + ".0/24");
        return new StaticPeer("n" + i, List.of(cidr), List.of(IpPrefix.literal("198.18.1." + i)), Optional.empty(),
                Optional.of(MacAddress.parse(String.format("02:00:00:00:01:%02x", i))), cidr.address(),
                Set.of(PathKind.VXLAN));
    }

    private static List<PeerPlan> plans(int peers) {
        List<PeerPlan> out = new ArrayList<>();
        for (int i = 1; i <= peers; i++) {
            out.add(new PeerPlan(peer(i), PathKind.VXLAN, null));
        }
        return out;
    }

    private Map<String, Integer> reads(Runnable pass) {
        calls.clear();
        pass.run();
        Map<String, Integer> out = new HashMap<>();
        for (String read : List.of("routes", "neighbors", "fdb")) {
            out.put(read, calls.getOrDefault(read, 0));
        }
        return out;
    }

    @Test
    void aPassReadsEachKernelTableOnceWhateverTheNumberOfPeers() {
        List<PeerPlan> plans = plans(200);
        Map<String, Integer> once = Map.of("routes", 1, "neighbors", 1, "fdb", 1);

        assertEquals(once, reads(() -> assertEquals(600, reconciler.reconcile(plans).added())));
        assertEquals(200, kernel.routes(Route.TABLE_MAIN, Route.PROTOCOL_EDGELINK).size());
        assertEquals(once, reads(() -> assertFalse(reconciler.reconcile(plans).changed())));
        assertEquals(once, reads(() -> assertEquals(600, reconciler.reconcile(List.of()).removed())));
    }

    @Test
    void aPeersObjectsAreAskedAgainOnlyWhenSomethingAboutItChanged() {
        List<PeerPlan> plans = new ArrayList<>(plans(50));
        reconciler.reconcile(plans);
        assertEquals(50, backend.asked);

        reconciler.reconcile(plans);
        reconciler.reconcile(plans(50));
        assertEquals(50, backend.asked, "equal plans, equal objects: nobody asked again");

        PeerView moved = new StaticPeer("n7", List.of(IpPrefix.parse("10.244.7.0/24")),
                List.of(IpPrefix.literal("198.18.2.7")), Optional.empty(), peer(7).vtepMac(),
                peer(7).tunnelAddress(), Set.of(PathKind.VXLAN));
        plans.set(6, new PeerPlan(moved, PathKind.VXLAN, null));
        Reconciler.Report report = reconciler.reconcile(plans);
        assertEquals(51, backend.asked, "only the peer whose underlay moved");
        assertEquals(1, report.added(), "its FDB entry points to the new underlay");
        assertTrue(kernel.fdb(vxlan).contains(new FdbEntry(vxlan, peer(7).vtepMac().get(),
                IpPrefix.literal("198.18.2.7"))));

        kernel.device("pod-veth");
        reconciler.reconcile(plans);
        assertEquals(101, backend.asked, "a new device may be any route's: every peer's objects are made again");
    }

    @Test
    void driftInAFleetThatDidNotChangeIsRepaired() {
        List<PeerPlan> plans = plans(20);
        reconciler.reconcile(plans);
        reconciler.reconcile(plans);
        Route route = kernel.routes(Route.TABLE_MAIN, Route.PROTOCOL_EDGELINK).get(4);
        Neighbor neighbor = kernel.neighbors(vxlan).get(9);
        kernel.deleteRoute(route);
        kernel.deleteNeighbor(neighbor);

        String log = Stderr.capture(() -> assertEquals(2, reconciler.reconcile(plans).repaired()));

        assertTrue(kernel.routes(Route.TABLE_MAIN, Route.PROTOCOL_EDGELINK).contains(route));
        assertTrue(kernel.neighbors(vxlan).contains(neighbor));
        assertEquals(2, log.lines().filter(l -> l.contains("behind our back")).count(), log);
        assertFalse(reconciler.reconcile(plans).changed());
    }

    @Test
    void whatAPreviousRunLeftGoesWhenTheHoldEndsAlsoAfterPassesThatChangedNothing() {
        Route left = Route.onlinkVia(IpPrefix.parse("10.244.99.0/24"), IpPrefix.literal("10.244.99.0"), vxlan);
        kernel.given(left);
        AtomicLong clock = new AtomicLong();
        reconciler.holdLeftObjects(Duration.ofSeconds(60), clock::get);
        List<PeerPlan> plans = plans(3);
        reconciler.reconcile(plans);
        assertFalse(reconciler.reconcile(plans).changed());
        assertFalse(reconciler.reconcile(plans).changed());
        assertTrue(kernel.allRoutes().contains(left), "held");

        clock.set(Duration.ofSeconds(60).toNanos());
        assertEquals(1, reconciler.reconcile(plans).removed());
        assertFalse(kernel.allRoutes().contains(left));
    }

    @Test
    void aRouteNotOursThatAppearsAfterThePassReadTheTableIsNotOverwritten() {
        IpPrefix cidr = peer(3).podCidrs().get(0);
        Route admin = new Route(cidr, IpPrefix.literal("198.18.0.254"), 2, Route.TABLE_MAIN, Route.PROTOCOL_STATIC,
                Route.SCOPE_UNIVERSE, Route.TYPE_UNICAST, false);
        before.put("addRoute", args -> {
            if (((Route) args[0]).destination().equals(cidr) && !kernel.allRoutes().contains(admin)) {
                kernel.given(admin);
            }
        });

        String log = Stderr.capture(() -> reconciler.reconcile(plans(4)));

        assertTrue(kernel.allRoutes().contains(admin));
        assertEquals(3, kernel.routes(Route.TABLE_MAIN, Route.PROTOCOL_EDGELINK).size());
        assertEquals(List.of(cidr + ": would replace route 10.244.3.0/24 via 198.18.0.254 dev eth0 proto static"),
                reconciler.refused().stream().map(Refusal::toString).toList());
        assertTrue(log.contains("peer=n3"), log);
        assertFalse(kernel.changes().stream().anyMatch(c -> c.startsWith("replace Route")), kernel.changes()
                .toString());
    }

    @Test
    void aPassThatFailedHalfwayIsFinishedByTheNextWithTheSamePlans() {
        reconciler.reconcile(plans(5));
        boolean[] failed = {false};
        before.put("replaceFdb", args -> {
            if (!failed[0]) {
                failed[0] = true;
                throw NetlinkException.of(NetlinkException.EBUSY, "replace fdb", null);
            }
        });
        assertThrows(NetlinkException.class, () -> reconciler.reconcile(plans(6)));

        Reconciler.Report report = reconciler.reconcile(plans(6));

        assertEquals(3, report.added(), "the sixth peer's FDB entry, neighbour and route");
        assertEquals(6, kernel.routes(Route.TABLE_MAIN, Route.PROTOCOL_EDGELINK).size());
    }

    @Test
    void aRoundInWhichNoPathChangedReconcilesOnce() {
        AtomicLong clock = new AtomicLong(1);
        PathSelector selector = new PathSelector(List.of(backend), new PeerPathMachine.Settings(3,
                Duration.ofMillis(300), Duration.ofSeconds(30), Duration.ofMinutes(5), Duration.ofSeconds(2),
                Duration.ofSeconds(16)));
        DataplaneLoop loop = new DataplaneLoop(selector, reconciler,
                (peer, path) -> CompletableFuture.completedFuture(ProbeResult.success(1_000)), clock::get);
        List<PeerView> peers = new ArrayList<>();
        plans(30).forEach(p -> peers.add(p.peer()));
        loop.setPeers(peers);
        for (int i = 0; i < 3; i++) {
            loop.runOnce();
            clock.addAndGet(Duration.ofMillis(300).toNanos());
        }
        assertEquals(30, kernel.routes(Route.TABLE_MAIN, Route.PROTOCOL_EDGELINK).size());

        Map<String, Integer> round = reads(loop::runOnce);

        assertEquals(1, round.get("routes"), "probes were sent and answered, no path changed: one reconcile");
        assertTrue(selector.statuses().stream().allMatch(s -> s.path() == PathKind.VXLAN));
    }
}
