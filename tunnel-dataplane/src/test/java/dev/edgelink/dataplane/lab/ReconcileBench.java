package dev.edgelink.dataplane.lab;

import dev.edgelink.dataplane.backend.LocalNode;
import dev.edgelink.dataplane.backend.PathKind;
import dev.edgelink.dataplane.backend.PeerView;
import dev.edgelink.dataplane.backend.StaticPeer;
import dev.edgelink.dataplane.backend.TunnelBackend;
import dev.edgelink.dataplane.backend.hostgw.HostGwBackend;
import dev.edgelink.dataplane.backend.vxlan.VxlanBackend;
import dev.edgelink.dataplane.netlink.Netlink;
import dev.edgelink.dataplane.netlink.Route;
import dev.edgelink.dataplane.path.PathSelector;
import dev.edgelink.dataplane.path.PeerPathMachine;
import dev.edgelink.dataplane.path.PeerPlan;
import dev.edgelink.dataplane.path.ProbeResult;
import dev.edgelink.dataplane.reconcile.DataplaneLoop;
import dev.edgelink.dataplane.reconcile.Reconciler;
import dev.edgelink.net.IpPrefix;
import dev.edgelink.net.MacAddress;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The CPU cost of the data plane's planning against a real kernel: one node in a namespace lab (underlay veth
 * {@code ul0}, 198.18.0.1/16, a VXLAN device) with N peers, half on hostgw (underlay on our subnet) and half on vxlan
 * (one route, one neighbour and one FDB entry each). For each N it prints the thread CPU time (user + system, so the
 * netlink dumps count) of
 * <ul>
 *   <li>the first reconcile, which installs everything,</li>
 *   <li>a reconcile that finds everything in place (median of {@value #PASSES}),</li>
 *   <li>a reconcile in which one peer moved between hostgw and vxlan (a route replaced, a neighbour and an FDB entry
 *       added or removed; median of {@value #PASSES}),</li>
 *   <li>a data plane round ({@link DataplaneLoop#runOnce}: tick, reconcile, probes due, reconcile) with every peer
 *       verified and a prober that answers at once, the clock advancing one probe interval per round (median of
 *       {@value #PASSES}).</li>
 * </ul>
 * Needs root. Usage: {@code ReconcileBench [N...]} (default 100 1000 5000); run it with
 * {@code scripts/bench-reconcile.sh}.
 */
public final class ReconcileBench {
    private static final int PASSES = 15;
    private static final Duration PROBE_INTERVAL = Duration.ofMillis(300);
    private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();

    private ReconcileBench() {
    }

    public static void main(String[] args) {
        List<Integer> sizes = args.length == 0 ? List.of(100, 1000, 5000)
                : Arrays.stream(args).map(Integer::parseInt).toList();
        System.out.printf("%6s %12s %14s %12s %12s%n", "peers", "install ms", "reconcile ms", "1 change ms",
                "round ms");
        for (int n : sizes) {
            try (Lab lab = Lab.open("elrb")) {
                measure(lab, n);
            }
        }
        System.exit(0);
    }

    private static void measure(Lab lab, int n) {
        String ns = lab.namespace("n");
        lab.underlay(ns);
        lab.ip(ns, "addr", "add", "198.18.0.1/16", "dev", "ul0");
        lab.ip(ns, "link", "set", "ul1", "up");
        LocalNode local = new LocalNode("bench", "ul0", (Inet4Address) IpPrefix.literal("198.18.0.1"),
                IpPrefix.parse("10.0.0.0/24"), (Inet4Address) IpPrefix.literal("10.0.0.0"),
                Optional.of(MacAddress.parse("02:00:00:00:00:01")));
        try (Netlink netlink = Netlink.openInNamespace(Lab.path(ns))) {
            List<TunnelBackend> backends = List.of(new HostGwBackend(netlink), new VxlanBackend(netlink));
            List<PeerView> peers = peers(n);
            List<PeerPlan> plans = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                plans.add(new PeerPlan(peers.get(i), (i + 1) % 2 == 0 ? PathKind.HOSTGW : PathKind.VXLAN, null));
            }
            Reconciler reconciler = new Reconciler(netlink, local, backends);
            long install = cpu(() -> reconciler.reconcile(plans));
            check(netlink, n);
            long[] passes = new long[PASSES];
            for (int i = 0; i < PASSES; i++) {
                passes[i] = cpu(() -> reconciler.reconcile(plans));
            }
            long[] changes = new long[PASSES];
            for (int i = 0; i < PASSES; i++) {
                PathKind path = i % 2 == 0 ? PathKind.VXLAN : PathKind.HOSTGW;
                plans.set(1, new PeerPlan(peers.get(1), path, null));
                changes[i] = cpu(() -> reconciler.reconcile(plans));
            }
            long round = round(netlink, local, backends, peers);
            check(netlink, n);
            System.out.printf("%6d %12.1f %14.2f %12.2f %12.2f%n", n, install / 1e6, median(passes) / 1e6,
                    median(changes) / 1e6, round / 1e6);
        }
    }

    /** Rounds until every peer is verified, then the median CPU time of {@link #PASSES} more. */
    private static long round(Netlink netlink, LocalNode local, List<TunnelBackend> backends, List<PeerView> peers) {
        AtomicLong clock = new AtomicLong(1);
        PathSelector selector = new PathSelector(backends, new PeerPathMachine.Settings(3, PROBE_INTERVAL,
                Duration.ofSeconds(30), Duration.ofMinutes(5), Duration.ofSeconds(2), Duration.ofSeconds(16)));
        DataplaneLoop loop = new DataplaneLoop(selector, new Reconciler(netlink, local, backends),
                (peer, path) -> CompletableFuture.completedFuture(ProbeResult.success(100_000)), clock::get);
        loop.setPeers(peers);
        for (int i = 0; i < 10 && selector.statuses().stream().anyMatch(s -> s.path() == null); i++) {
            loop.runOnce();
            clock.addAndGet(PROBE_INTERVAL.toNanos());
        }
        if (selector.statuses().stream().anyMatch(s -> s.path() == null)) {
            throw new IllegalStateException("peers still without a path after 10 rounds");
        }
        long[] rounds = new long[PASSES];
        for (int i = 0; i < PASSES; i++) {
            rounds[i] = cpu(loop::runOnce);
            clock.addAndGet(PROBE_INTERVAL.toNanos());
        }
        return median(rounds);
    }

    /** Even peers share the underlay subnet (hostgw), odd ones are behind a router (vxlan). */
    private static List<PeerView> peers(int n) {
        List<PeerView> out = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            IpPrefix cidr = IpPrefix.parse("10." + (i / 256) + "." + (i % 256) + ".0/24");
            String underlay = (i % 2 == 0 ? "198.18." : "198.19.") + (i / 250) + "." + (i % 250 + 2);
            InetAddress ul = IpPrefix.literal(underlay);
            MacAddress mac = MacAddress.parse(String.format("02:00:00:%02x:%02x:%02x", i >> 16, (i >> 8) & 0xff,
                    i & 0xff));
            out.add(new StaticPeer("peer" + i, List.of(cidr), List.of(ul), Optional.empty(), Optional.of(mac),
                    cidr.address(), Set.of(PathKind.HOSTGW, PathKind.VXLAN)));
        }
        return out;
    }

    private static void check(Netlink netlink, int n) {
        int routes = netlink.routes(Route.TABLE_MAIN, Route.PROTOCOL_EDGELINK).size();
        if (routes != n) {
            throw new IllegalStateException(routes + " routes of ours, want " + n);
        }
    }

    private static long cpu(Runnable r) {
        long start = CPU.getCurrentThreadCpuTime();
        r.run();
        return CPU.getCurrentThreadCpuTime() - start;
    }

    private static long median(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
