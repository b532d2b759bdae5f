package dev.edgelink.lab.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.edgelink.lab.ExecResult;
import dev.edgelink.lab.Lab;
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
 * podman through the edgelink CNI plugin, then the connectivity matrix: every node and pod pings every other
 * node (its tunnel address, over the pod network) and pod, with the path the source node's agent reports for
 * the destination's node and the RTT. Torn down at the end unless {@code --keep} (then it waits for Enter).
 *
 * <p>Output: a table, or with {@code --json} one JSON object per line. Progress goes to stderr. Exit 0 when every
 * pair answered; otherwise a line "demo: FAILED: ..." on stderr naming the pairs that did not (or the step that
 * failed before the matrix) and exit 1, after the teardown.
 */
public final class Demo {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern RTT = Pattern.compile("= [\\d.]+/([\\d.]+)/");

    private Demo() {
    }

    /** A ping source or destination. */
    record End(String label, Node node, String ip, String netns) {
    }

    record Row(String from, String to, String path, double rttMs, boolean ok) {
    }

    public static void main(String[] args) throws Exception {
        boolean json = List.of(args).contains("--json");
        boolean keep = List.of(args).contains("--keep");
        Lab lab = Lab.open();
        EdgelinkCluster cluster = null;
        int exit = 1;
        try {
            long t0 = System.nanoTime();
            Topologies.Direct t = Topologies.direct(lab);
            cluster = EdgelinkCluster.create(lab, t.nodes(), EdgelinkCluster.runningClasspath());
            EdgelinkCluster c = cluster;
            Runtime.getRuntime().addShutdownHook(new Thread(c::close, "demo-teardown"));   // Ctrl-C
            progress("lab %s: n1, n2 on 10.1.0.0/24, n3 on 10.2.0.0/24 behind router r; starting agents", lab.id());
            cluster.startAll();
            Podman podman = lab.podman();
            List<End> ends = new ArrayList<>();
            for (EdgelinkCluster.Member m : cluster.members()) {
                ends.add(new End(m.name(), m.node(), m.tunnelAddress(), "/run/netns/" + m.node().netns()));
            }
            for (Node n : t.nodes()) {
                podman.network(n, cluster.conflist(n));
            }
            for (String[] p : List.of(new String[] {"n1", "p1a"}, new String[] {"n1", "p1b"},
                    new String[] {"n2", "p2"}, new String[] {"n3", "p3"})) {
                Node n = cluster.member(p[0]).node();
                Pod pod = podman.run(n, p[1]);
                ends.add(new End(n.name() + "/" + p[1], n, pod.ip(), pod.netnsPath().toString()));
            }
            progress("pods: %s; waiting for paths", ends.subList(3, ends.size()).stream()
                    .map(e -> e.label() + "=" + e.ip() + " (" + e.netns() + ")").toList());
            cluster.awaitPath(cluster.member("n1"), "n2", "hostgw", Duration.ofSeconds(60));
            for (String a : List.of("n1", "n2")) {
                cluster.awaitPath(cluster.member(a), "n3", "vxlan", Duration.ofSeconds(60));
                cluster.awaitPath(cluster.member("n3"), a, "vxlan", Duration.ofSeconds(60));
            }
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
                progress("--keep: the lab stays while this runs. Try: ip netns exec %sn1 %s/bin/edgelink status",
                        lab.prefix(), System.getProperty("edgelink.repo", "."));
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

    private static Row ping(Lab lab, End from, End to, String path) {
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
        System.out.printf("%-8s %-22s %-7s %8s  %s%n", "FROM", "TO", "PATH", "RTT_MS", "OK");
        for (Row r : rows) {
            System.out.printf("%-8s %-22s %-7s %8.3f  %s%n", r.from(), r.to(), r.path(), r.rttMs(),
                    r.ok() ? "ok" : "FAIL");
        }
        long ok = rows.stream().filter(Row::ok).count();
        System.out.printf("%d/%d pairs answered%n", ok, rows.size());
    }

    private static void progress(String format, Object... args) {
        System.err.printf("demo: " + format + "%n", args);
    }
}
