package dev.edgelink.lab.e2e;

import dev.edgelink.lab.Lab;
import dev.edgelink.lab.LabException;
import dev.edgelink.lab.NatMode;
import dev.edgelink.lab.Node;
import dev.edgelink.lab.Topologies;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Issue 4's benchmarks in one run ({@code scripts/bench-sites.sh}), on issue 4's topology
 * ({@code Topologies.sites}, both site routers port-preserving; b-n2 alone behind a symmetric mapping):
 *
 * <ul>
 *   <li>iperf3 (TCP, 1 stream, {@link Bench#SECONDS} s, median of {@link Bench#REPEATS} interleaved runs) across
 *       the sites: nebula peer to peer a-n1 -> b-n1 (lighthouse on the cloud node, punchy), wireguard-go peer to
 *       peer a-n1 -> b-n1, wireguard-go a-n2 -> hub on the cloud node -> b-n2; and pod to pod over our direct
 *       path (a-n1 -> b-n1) and our relayed path (a-n2 -> b-n2), see {@link EdgelinkSites};</li>
 *   <li>the time from agent start to the first answered cross-site pod ping, and failover (direct cut with an nft
 *       drop on a-rtr until status shows relayed, and until pod pings are answered again) and the upgrade back to
 *       direct once the cut is lifted, from the agents' status ({@code lastChange}).</li>
 * </ul>
 *
 * Our rows are guarded: an agent that does not reach a path reports the row "not available" with the reason, and
 * the baselines are still measured and written. Prints the section and writes it into "Across NAT (issue 4)" of
 * the markdown file given as the first argument (other sections are kept).
 */
public final class SitesBench {
    static final String HEADING = "## Across NAT (issue 4)";
    static final double GOAL_DIRECT = 1.2;
    static final double GOAL_RELAYED = 1.5;
    private static final Duration TUNNEL_UP = Duration.ofSeconds(30);

    private SitesBench() {
    }

    /** One row: what, between which nodes, the client and server ends, the runs, or why it is not available. */
    static final class Row {
        final String tag;
        final String name;
        final String pair;
        final Bench.End client;
        final Bench.End server;
        final List<double[]> runs = new ArrayList<>();
        double rtt = Double.NaN;
        String unavailable;

        Row(String tag, String name, String pair, Bench.End client, Bench.End server, String unavailable) {
            this.tag = tag;
            this.name = name;
            this.pair = pair;
            this.client = client;
            this.server = server;
            this.unavailable = unavailable;
        }

        double gbit() {
            return unavailable == null && !runs.isEmpty() ? Bench.medianGbit(runs) : Double.NaN;
        }
    }

    public static void main(String[] args) throws Exception {
        Path doc = Path.of(args.length > 0 ? args[0] : "docs/benchmarks.md");
        onSites((lab, t, vpns, ours) -> measure(lab, t, vpns, ours, doc));
        System.exit(0);
    }

    /** A benchmark body on issue 4's topology, with the VPNs and our (not yet started) agents at hand. */
    interface OnSites {
        void measure(Lab lab, Topologies.Sites t, UserspaceVpns vpns, EdgelinkSites ours) throws IOException;
    }

    /**
     * Opens a lab with issue 4's topology (b-n2 behind a symmetric mapping) and our agents' cluster (created, not
     * started), runs {@code body}, and tears everything down afterwards, on failure and at JVM exit too.
     */
    static void onSites(OnSites body) throws IOException {
        Lab lab = Lab.open();
        UserspaceVpns vpns = new UserspaceVpns(lab);
        EdgelinkSites ours = null;
        try {
            Topologies.Sites t = Topologies.sites(lab, NatMode.PRESERVE, NatMode.PRESERVE);
            EdgelinkSites.symmetricB2(t);
            ours = EdgelinkSites.create(lab, t, EdgelinkCluster.runningClasspath());
            EdgelinkCluster c = ours.cluster();
            Runtime.getRuntime().addShutdownHook(new Thread(c::close, "bench-sites-cluster-teardown"));
            body.measure(lab, t, vpns, ours);
        } finally {
            try {
                if (ours != null) {
                    ours.cluster().close();
                } else {
                    lab.close();
                }
            } finally {
                vpns.close();
            }
        }
    }

    private static void measure(Lab lab, Topologies.Sites t, UserspaceVpns vpns, EdgelinkSites ours, Path doc)
            throws IOException {
        String loadStart = loadAverage();
        List<Row> rows = baselines(t, vpns);
        String oursFailed = null;
        try {
            ours.run();
        } catch (LabException e) {
            oursFailed = "the agents did not start: " + firstLine(e.getMessage());
            progress("%s", e.getMessage());
            ours.stopAgents();
        }
        rows.add(ourRow(ours, "ours-direct", "edgelink direct, pod to pod", "a-n1 -> b-n1", true, oursFailed));
        rows.add(ourRow(ours, "ours-relayed", "edgelink relayed via the cloud node, pod to pod", "a-n2 -> b-n2",
                false, oursFailed));
        String loadBefore = loadAverage();
        for (int i = 0; i < Bench.REPEATS; i++) {
            StringBuilder line = new StringBuilder();
            for (Row r : rows) {
                iperf(lab, r);
                line.append(String.format(Locale.ROOT, ", %s %s", r.tag, r.unavailable != null ? "n/a"
                        : String.format(Locale.ROOT, "%.2f", r.runs.get(i)[0])));
            }
            progress("iperf3 round %d, Gbit/s: %s", i + 1, line.substring(2));
        }
        String loadAfter = loadAverage();
        for (Row r : rows) {
            if (r.unavailable == null) {
                r.rtt = Bench.rtt(lab, r.client, r.server);
            }
        }
        List<EdgelinkSites.Timing> timings = new ArrayList<>();
        if (oursFailed == null) {
            timings.add(ours.firstPacket());
            timings.addAll(ours.failoverAndUpgrade());
        } else {
            EdgelinkSites.Timing no = EdgelinkSites.Timing.missing(oursFailed);
            timings.addAll(List.of(no, no, no, no));
        }
        String section = section(rows, timings, new String[] {loadStart, loadBefore, loadAfter, loadAverage()},
                UserspaceVpns.versions(t.cloud()));
        System.out.println(section);
        Bench.writeSection(doc, HEADING, section);
        progress("wrote %s", doc);
    }

    /** Brings up nebula, wireguard-go peer to peer and the wireguard-go hub; each is pinged through first. */
    static List<Row> baselines(Topologies.Sites t, UserspaceVpns vpns) {
        List<Row> rows = new ArrayList<>(List.of(nebula(t, vpns), wireguardP2p(t, vpns), wireguardHub(t, vpns)));
        progress("baselines up: nebula, wireguard-go peer to peer, wireguard-go hub");
        return rows;
    }

    /** nebula a-n1 -> b-n1 (10.47.0.11 -> 10.47.0.21) with the lighthouse on the cloud node, pinged through. */
    static Row nebula(Topologies.Sites t, UserspaceVpns vpns) {
        String lh = "198.18.0.3:4242";
        vpns.nebula(t.cloud(), "10.47.0.1/24", 4242, true, "10.47.0.1", lh);
        vpns.nebula(t.a1(), "10.47.0.11/24", 4243, false, "10.47.0.1", lh);
        vpns.nebula(t.b1(), "10.47.0.21/24", 4243, false, "10.47.0.1", lh);
        t.a1().awaitPing("10.47.0.21", TUNNEL_UP);
        return new Row("nebula", "nebula peer to peer through both NATs (lighthouse on the cloud node, punchy)",
                "a-n1 -> b-n1", host(t.a1(), "10.47.0.11"), host(t.b1(), "10.47.0.21"), null);
    }

    /** wireguard-go peer to peer a-n1 -> b-n1 (10.45.0.1 -> 10.45.0.2), pinged through. */
    static Row wireguardP2p(Topologies.Sites t, UserspaceVpns vpns) {
        // masquerade keeps the source port: each side's public endpoint is its router's address, port 51820
        vpns.wireguard(t.a1(), "a1", "10.45.0.1/24", 51820);
        vpns.wireguard(t.b1(), "b1", "10.45.0.2/24", 51820);
        vpns.wgPeer(t.a1(), "a1", "b1", "10.45.0.2/32", t.routerB().address(t.inet()) + ":51820", 25);
        vpns.wgPeer(t.b1(), "b1", "a1", "10.45.0.1/32", t.routerA().address(t.inet()) + ":51820", 25);
        t.a1().awaitPing("10.45.0.2", TUNNEL_UP);
        return new Row("wg-p2p", "wireguard-go peer to peer through both NATs", "a-n1 -> b-n1",
                host(t.a1(), "10.45.0.1"), host(t.b1(), "10.45.0.2"), null);
    }

    /** wireguard-go a-n2 -> hub on the cloud node -> b-n2 (10.46.0.2 -> 10.46.0.3), pinged through. */
    static Row wireguardHub(Topologies.Sites t, UserspaceVpns vpns) {
        Node cloud = t.cloud();
        cloud.exec("sysctl", "-qw", "net.ipv4.ip_forward=1").check();
        vpns.wireguard(cloud, "hub", "10.46.0.1/24", 51821);
        vpns.wireguard(t.a2(), "a2", "10.46.0.2/24", 51822);
        vpns.wireguard(t.b2(), "b2", "10.46.0.3/24", 51822);
        vpns.wgPeer(cloud, "hub", "a2", "10.46.0.2/32", null, 0);
        vpns.wgPeer(cloud, "hub", "b2", "10.46.0.3/32", null, 0);
        vpns.wgPeer(t.a2(), "a2", "hub", "10.46.0.0/24", cloud.address() + ":51821", 5);
        vpns.wgPeer(t.b2(), "b2", "hub", "10.46.0.0/24", cloud.address() + ":51821", 5);
        t.a2().awaitPing("10.46.0.3", TUNNEL_UP);
        return new Row("wg-hub", "wireguard-go through a hub on the cloud node", "a-n2 -> cloud -> b-n2",
                host(t.a2(), "10.46.0.2"), host(t.b2(), "10.46.0.3"), null);
    }

    private static Bench.End host(Node n, String ip) {
        return new Bench.End(n, "/run/netns/" + n.netns(), ip);
    }

    private static Row ourRow(EdgelinkSites ours, String tag, String name, String pair, boolean direct,
            String failed) {
        if (failed != null) {
            return new Row(tag, name, pair, null, null, failed);
        }
        Optional<List<Bench.End>> ends = direct ? ours.direct() : ours.relayed();
        if (ends.isEmpty()) {
            return new Row(tag, name, pair, null, null, direct ? ours.directMissing() : ours.relayedMissing());
        }
        return new Row(tag, name, pair, ends.get().get(0), ends.get().get(1), null);
    }

    /** One iperf3 run on {@code r}; a failure on our rows makes the row unavailable, on a baseline it fails. */
    private static void iperf(Lab lab, Row r) {
        if (r.unavailable != null) {
            return;
        }
        try {
            r.runs.add(Bench.iperf(lab, r.client, r.server));
        } catch (LabException e) {
            if (!r.tag.startsWith("ours")) {
                throw e;
            }
            r.unavailable = "iperf3 failed: " + firstLine(e.getMessage());
        }
    }

    /** The 1, 5 and 15 minute load averages, "a / b / c". */
    static String loadAverage() throws IOException {
        String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
        return f[0] + " / " + f[1] + " / " + f[2];
    }

    static String firstLine(String s) {
        String l = s == null ? "" : s.strip().lines().findFirst().orElse("");
        return l.length() <= 300 ? l : l.substring(0, 300) + "...";
    }

    // ------------------------------------------------------------------------------------------- the section

    /** {@code rows}: nebula, wg p2p, wg hub, ours direct, ours relayed; {@code timings} as EdgelinkSites gives. */
    static String section(List<Row> rows, List<EdgelinkSites.Timing> timings, String[] load, String versions) {
        StringBuilder b = new StringBuilder();
        b.append(HEADING).append("\n\n");
        b.append(String.format(Locale.ROOT, "Measured by `bash scripts/bench-sites.sh` on %s, all in one run on this "
                + "machine (%d vCPUs, shared: absolute numbers drift, the ratios are the result). Load average "
                + "(1 / 5 / 15 min): %s at the start, %s before and %s after the iperf3 runs, %s at the end. Lab: "
                + "issue 4's topology (`Topologies.sites`): two sites of two nodes behind NAT routers with plain "
                + "masquerade (port-restricted cone: punching works), b-n2 alone behind a fully-random (symmetric) "
                + "mapping of its own on b-rtr so that a-n2 and b-n2 cannot punch, and the cloud node with a public "
                + "address; the cloud node is our bootstrap peer and relay, our agents run with the JVM options "
                + "`bin/edgelink agent` ships, the second node of each site listens on port 4002. Baselines: %s "
                + "(Debian's packages).%n%n", LocalDate.now(),
                Runtime.getRuntime().availableProcessors(), load[0], load[1], load[2], load[3], versions));
        b.append(String.format(Locale.ROOT, "iperf3 TCP, 1 stream, %d s, median of %d interleaved runs. Goals: "
                + "edgelink direct >= %.1fx nebula, edgelink relayed >= %.1fx the wireguard-go hub.%n%n",
                Bench.SECONDS, Bench.REPEATS, GOAL_DIRECT, GOAL_RELAYED));
        b.append("| row | from -> to | Gbit/s | runs | RTT ms | ratio (goal) |\n|---|---|---|---|---|---|\n");
        double nebula = rows.get(0).gbit();
        double hub = rows.get(2).gbit();
        for (int i = 0; i < rows.size(); i++) {
            Row r = rows.get(i);
            String ratio = i == 3 ? ratio(r.gbit(), nebula, "nebula", GOAL_DIRECT)
                    : i == 4 ? ratio(r.gbit(), hub, "the wireguard-go hub", GOAL_RELAYED) : "";
            if (r.unavailable != null) {
                b.append(String.format(Locale.ROOT, "| %s | %s | not available: %s | | | %s |%n", r.name, r.pair,
                        cell(r.unavailable), ratio));
                continue;
            }
            List<String> runs = new ArrayList<>();
            r.runs.forEach(x -> runs.add(String.format(Locale.ROOT, "%.2f", x[0])));
            b.append(String.format(Locale.ROOT, "| %s | %s | %.2f | %s | %.3f | %s |%n", r.name, r.pair, r.gbit(),
                    String.join(", ", runs), r.rtt, ratio));
        }
        b.append("\nTimings (from the agents' `GET /status` and iputils `ping -D -O -i 0.1` from a-n1's pod to "
                + "b-n1's pod; the cut: nft drops on a-rtr of b-rtr's public address, in from it and out to it from "
                + "a-n1, before NAT):\n\n");
        b.append("| what | seconds | detail |\n|---|---|---|\n");
        String[] what = {"agent start (a-n1, b-n1, a-n2, b-n2 at once; the cloud's already up) -> first cross-site "
                + "pod ping answered", "failover: direct cut -> status shows relayed",
            "failover: direct cut -> pod pings answered again", "upgrade: cut lifted -> status shows direct again"};
        for (int i = 0; i < what.length; i++) {
            EdgelinkSites.Timing tm = timings.get(i);
            b.append(tm.available()
                    ? String.format(Locale.ROOT, "| %s | %.2f | %s |%n", what[i], tm.seconds(), cell(tm.detail()))
                    : String.format(Locale.ROOT, "| %s | not available | %s |%n", what[i], cell(tm.unavailable())));
        }
        return b.toString();
    }

    private static String ratio(double ours, double ref, String refName, double goal) {
        String g = String.format(Locale.ROOT, "(goal >= %.1fx %s)", goal, refName);
        return Double.isNaN(ours) ? g : String.format(Locale.ROOT, "%.2fx %s %s", ours / ref, refName, g);
    }

    /** A table cell: no pipes, no line breaks. */
    static String cell(String s) {
        return s.replace('|', '/').replaceAll("\\s*\n\\s*", " ");
    }

    private static void progress(String format, Object... args) {
        System.err.printf("bench-sites: " + format + "%n", args);
    }
}
