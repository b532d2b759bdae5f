package dev.edgelink.lab.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.edgelink.lab.ExecResult;
import dev.edgelink.lab.Lab;
import dev.edgelink.lab.LabException;
import dev.edgelink.lab.NatMode;
import dev.edgelink.lab.Node;
import dev.edgelink.lab.Pod;
import dev.edgelink.lab.Podman;
import dev.edgelink.lab.Topologies;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The lab demo ({@code scripts/demo.sh}): issue 3's topology, three agents, a pod per node (two on n1) started by
 * podman through the edgelink CNI plugin, or with {@code --sites} issue 4's two NAT'd sites and the cloud node
 * (see {@link SitesSetup}), then the connectivity matrix: every node and pod pings every other
 * node (its tunnel address, over the pod network) and pod, with the path the source node's agent reports for
 * the destination's node and the RTT. Torn down at the end unless {@code --keep} (then it waits for Enter).
 *
 * <p>Output: a table, or with {@code --json} one JSON object per line. Progress goes to stderr. Exit 0 when every
 * pair answered; otherwise a line "demo: FAILED: ..." on stderr naming the pairs that did not (or the step that
 * failed before the matrix) and exit 1, after the teardown.
 */
public final class Demo {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration CONVERGE = Duration.ofSeconds(60);
    private static final Pattern RTT = Pattern.compile("= [\\d.]+/([\\d.]+)/");

    private Demo() {
    }

    /** A ping source or destination. */
    record End(String label, Node node, String ip, String netns) {
    }

    record Row(String from, String to, String path, double rttMs, boolean ok) {
    }

    /** What the demo runs on: the nodes (the first is the bootstrap), their pods, how to wait for the paths. */
    interface Setup {
        /** One line for the progress output. */
        String describe(Lab lab);

        /** Cluster members in start order. */
        List<Node> nodes();

        /** Per-member settings before any agent starts (sites, relay server). */
        void configure(EdgelinkCluster cluster);

        /** Pods as {node name, pod name}. */
        List<String[]> pods();

        /** Waits until every peer has the path the demo shows. */
        void awaitPaths(EdgelinkCluster cluster);
    }

    public static void main(String[] args) throws Exception {
        List<String> argv = List.of(args);
        boolean json = argv.contains("--json");
        boolean keep = argv.contains("--keep");
        boolean sites = argv.contains("--sites");
        Lab lab = Lab.open();
        EdgelinkCluster cluster = null;
        int exit = 1;
        try {
            long t0 = System.nanoTime();
            Setup setup = sites ? new SitesSetup(lab) : new DirectSetup(lab);
            cluster = EdgelinkCluster.create(lab, setup.nodes(), EdgelinkCluster.runningClasspath());
            EdgelinkCluster c = cluster;
            Runtime.getRuntime().addShutdownHook(new Thread(c::close, "demo-teardown"));   // Ctrl-C
            progress("%s; starting agents", setup.describe(lab));
            setup.configure(cluster);
            progress("cluster CA %s (%s): every agent gets a certificate for its name, key, pod CIDR and site",
                    cluster.ca().certificate().fingerprint(), cluster.ca().certificateFile());
            cluster.startAll();
            List<End> ends = startPods(lab, cluster, setup);
            progress("pods: %s; waiting for paths", ends.subList(cluster.members().size(), ends.size()).stream()
                    .map(e -> e.label() + "=" + e.ip() + " (" + e.netns() + ")").toList());
            setup.awaitPaths(cluster);
            progress("converged in %.1f s; pinging every pair", (System.nanoTime() - t0) / 1e9);
            List<Row> rows = matrix(lab, cluster, ends);
            print(rows, json);
            String failed = failures(rows);
            if (failed == null) {
                exit = 0;
            } else {
                progress("FAILED: %s", failed);
            }
            if (keep) {
                progress("--keep: the lab stays while this runs. Try: ip netns exec %s%s %s/bin/edgelink status",
                        lab.prefix(), setup.nodes().get(0).name(), System.getProperty("edgelink.repo", "."));
                progress("press Enter (or Ctrl-C) to tear everything down");
                System.in.read();
            }
        } catch (Exception e) {
            progress("FAILED before the matrix was complete: %s", e);
        } finally {
            progress("tearing down");
            if (cluster != null) {
                cluster.close();
            } else {
                lab.close();
            }
        }
        System.exit(exit);
    }

    /**
     * Waits until {@code from} shows {@code to} on {@code path}, at most until {@code deadline} (shared by all the
     * waits of one demo); when the path does not come, says so and carries on: the matrix shows the real paths.
     */
    static void expect(EdgelinkCluster cluster, String from, String to, String path, long deadline) {
        long left = Math.max(1_000_000_000L, deadline - System.nanoTime());
        try {
            cluster.awaitPath(cluster.member(from), to, path, Duration.ofNanos(left));
        } catch (LabException e) {
            progress("%s -> %s is not %s yet; the matrix shows what it is", from, to, path);
        }
    }

    /** The nodes (their tunnel addresses) and then the pods, as ping ends. */
    private static List<End> startPods(Lab lab, EdgelinkCluster cluster, Setup setup) {
        Podman podman = lab.podman();
        List<End> ends = new ArrayList<>();
        for (EdgelinkCluster.Member m : cluster.members()) {
            ends.add(new End(m.name(), m.node(), m.tunnelAddress(), "/run/netns/" + m.node().netns()));
            podman.network(m.node(), cluster.conflist(m.node()));
        }
        for (String[] p : setup.pods()) {
            Node n = cluster.member(p[0]).node();
            Pod pod = podman.run(n, p[1]);
            ends.add(new End(n.name() + "/" + p[1], n, pod.ip(), pod.netnsPath().toString()));
        }
        return ends;
    }

    /** Issue 3: n1, n2 on one segment (hostgw), n3 behind a router (vxlan). */
    static final class DirectSetup implements Setup {
        private final Topologies.Direct t;

        DirectSetup(Lab lab) {
            t = Topologies.direct(lab);
        }

        @Override
        public String describe(Lab lab) {
            return "lab " + lab.id() + ": n1, n2 on 10.1.0.0/24, n3 on 10.2.0.0/24 behind router r";
        }

        @Override
        public List<Node> nodes() {
            return t.nodes();
        }

        @Override
        public void configure(EdgelinkCluster cluster) {
            // the defaults: no sites, no relay server
        }

        @Override
        public List<String[]> pods() {
            return List.of(new String[] {"n1", "p1a"}, new String[] {"n1", "p1b"}, new String[] {"n2", "p2"},
                    new String[] {"n3", "p3"});
        }

        @Override
        public void awaitPaths(EdgelinkCluster cluster) {
            cluster.awaitPath(cluster.member("n1"), "n2", "hostgw", CONVERGE);
            for (String a : List.of("n1", "n2")) {
                cluster.awaitPath(cluster.member(a), "n3", "vxlan", CONVERGE);
                cluster.awaitPath(cluster.member("n3"), a, "vxlan", CONVERGE);
            }
        }
    }

    /**
     * Issue 4: two NAT'd sites and the cloud node (bootstrap and relay). Site B's router maps b-n2 fully at random
     * (a symmetric NAT for that host only), so the matrix shows both cross-site paths: a-* <-> b-n1 direct after
     * a hole punch, a-* <-> b-n2 relayed through the cloud.
     */
    static final class SitesSetup implements Setup {
        private final Topologies.Sites t;

        SitesSetup(Lab lab) {
            t = Topologies.sites(lab, NatMode.PRESERVE, NatMode.PRESERVE);
            t.routerB().hostNatMode(t.b2().address(), NatMode.FULLY_RANDOM);
        }

        @Override
        public String describe(Lab lab) {
            return "lab " + lab.id() + ": site A (a-n1, a-n2 on 10.1.0.0/24 behind NAT a-rtr), site B (b-n1, b-n2 on "
                    + "10.2.0.0/24 behind NAT b-rtr, b-n2 mapped fully random), cloud 198.18.0.3 (bootstrap, relay)";
        }

        @Override
        public List<Node> nodes() {
            return List.of(t.cloud(), t.a1(), t.a2(), t.b1(), t.b2());
        }

        @Override
        public void configure(EdgelinkCluster cluster) {
            // the cloud has no default route to find its underlay device by
            cluster.member(t.cloud()).config("relay", "{server: true}").config("underlay", "{interface: "
                    + t.cloud().links().get(0).iface() + "}");
            for (Node n : List.of(t.a1(), t.a2(), t.b1(), t.b2())) {
                cluster.member(n).config("site", n.name().substring(0, 1));
            }
            // two nodes behind one NAT on one port would contend for one public 4-tuple towards the other site
            cluster.member(t.a2()).listenPort(4002);
            cluster.member(t.b2()).listenPort(4002);
        }

        @Override
        public List<String[]> pods() {
            return List.of(new String[] {"cloud", "pc"}, new String[] {"a-n1", "pa1"}, new String[] {"a-n2", "pa2"},
                    new String[] {"b-n1", "pb1"}, new String[] {"b-n2", "pb2"});
        }

        @Override
        public void awaitPaths(EdgelinkCluster cluster) {
            for (String[] pair : List.of(new String[] {"a-n1", "a-n2"}, new String[] {"b-n1", "b-n2"})) {
                cluster.awaitPath(cluster.member(pair[0]), pair[1], "hostgw", CONVERGE);
                cluster.awaitPath(cluster.member(pair[1]), pair[0], "hostgw", CONVERGE);
            }
            long deadline = System.nanoTime() + CONVERGE.toNanos();
            for (String a : List.of("a-n1", "a-n2")) {
                expect(cluster, a, "b-n1", "direct", deadline);
                expect(cluster, "b-n1", a, "direct", deadline);
                expect(cluster, a, "b-n2", "relayed", deadline);
                expect(cluster, "b-n2", a, "relayed", deadline);
            }
            for (EdgelinkCluster.Member m : cluster.members()) {
                for (EdgelinkCluster.Member o : cluster.members()) {
                    if (m != o) {
                        cluster.awaitActive(m, o.name(), CONVERGE);
                    }
                }
            }
        }
    }

    /** {@code null} when every pair answered, else which did not, e.g. "1 of 42 pairs did not answer: ...". */
    static String failures(List<Row> rows) {
        List<String> bad = rows.stream().filter(r -> !r.ok()).map(r -> r.from() + " -> " + r.to() + " (path "
                + r.path() + ")").toList();
        if (rows.isEmpty()) {
            return "no pair was pinged";
        }
        return bad.isEmpty() ? null : bad.size() + " of " + rows.size() + " pairs did not answer: "
                + String.join(", ", bad);
    }

    private static List<Row> matrix(Lab lab, EdgelinkCluster cluster, List<End> ends) throws Exception {
        Map<String, JsonNode> status = new HashMap<>();
        for (EdgelinkCluster.Member m : cluster.members()) {
            status.put(m.name(), cluster.status(m));
        }
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            List<Future<Row>> futures = new ArrayList<>();
            for (End from : ends) {
                for (End to : ends) {
                    if (from != to) {
                        futures.add(pool.submit(() -> ping(lab, from, to, path(status, from, to))));
                    }
                }
            }
            List<Row> rows = new ArrayList<>();
            for (Future<Row> f : futures) {
                rows.add(f.get());
            }
            return rows;
        } finally {
            pool.shutdownNow();
        }
    }

    private static String path(Map<String, JsonNode> status, End from, End to) {
        if (from.node() == to.node()) {
            return "local";
        }
        return EdgelinkCluster.peer(status.get(from.node().name()), to.node().name())
                .map(p -> p.path("path").asText("none")).orElse("none");
    }

    /**
     * Three pings; a pair that answers none gets a second try 2 s later (six JVMs and the pings' own processes on a
     * small machine can stall a userspace path for a second), said on stderr so that it shows.
     */
    private static Row ping(Lab lab, End from, End to, String path) {
        Row first = pingOnce(lab, from, to, path);
        if (first.ok()) {
            return first;
        }
        try {
            Thread.sleep(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return first;
        }
        Row second = pingOnce(lab, from, to, path);
        System.err.printf("demo: %s -> %s answered no ping of three; the second try: %s%n", first.from(), first.to(),
                second.ok() ? "answered" : "no answer either");
        return second;
    }

    private static Row pingOnce(Lab lab, End from, End to, String path) {
        ExecResult r = lab.exec(from.node().netns(), Duration.ofSeconds(10), "nsenter", "--net=" + from.netns(),
                "ping", "-n", "-q", "-c", "3", "-i", "0.2", "-W", "1", to.ip());
        Matcher m = RTT.matcher(r.stdout());
        return new Row(from.label(), to.label() + " (" + to.ip() + ")", path, m.find() ? Double.parseDouble(
                m.group(1)) : -1, r.ok());
    }

    private static void print(List<Row> rows, boolean json) throws IOException {
        if (json) {
            for (Row r : rows) {
                ObjectNode o = JSON.createObjectNode().put("from", r.from()).put("to", r.to()).put("path", r.path())
                        .put("rttMs", r.rttMs()).put("ok", r.ok());
                System.out.println(JSON.writeValueAsString(o));
            }
            return;
        }
        System.out.printf("%-11s %-26s %-7s %8s  %s%n", "FROM", "TO", "PATH", "RTT_MS", "OK");
        for (Row r : rows) {
            System.out.printf("%-11s %-26s %-7s %8.3f  %s%n", r.from(), r.to(), r.path(), r.rttMs(),
                    r.ok() ? "ok" : "FAIL");
        }
        long ok = rows.stream().filter(Row::ok).count();
        System.out.printf("%d/%d pairs answered%n", ok, rows.size());
    }

    private static void progress(String format, Object... args) {
        System.err.printf("demo: " + format + "%n", args);
    }
}
