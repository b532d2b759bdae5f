package dev.edgelink.lab.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.edgelink.lab.Conflist;
import dev.edgelink.lab.ExecResult;
import dev.edgelink.lab.Lab;
import dev.edgelink.lab.LabException;
import dev.edgelink.lab.LabProcess;
import dev.edgelink.lab.Node;
import dev.edgelink.lab.Pod;
import dev.edgelink.lab.Podman;
import dev.edgelink.lab.Topologies;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Issue 3's benchmarks in one run ({@code scripts/bench-lab.sh}), so that the ratios compare like with like on a
 * shared machine:
 *
 * <ul>
 *   <li>iperf3 (TCP, 1 stream) pod to pod over our hostgw (n1 to n2) and our vxlan (n1 to n3, across the router)
 *       against the same paths made by hand with iproute2 in the same lab (nodes h1, h2 on the same segment, h3
 *       behind the same router; pods are namespaces with a ptp veth like ours, MTU 1450 like ours); median of
 *       {@link #REPEATS} interleaved runs;</li>
 *   <li>CNI ADD latency as podman sees it: the plugin binary wrapped in a timing shim, edgelink (launcher, curl,
 *       agent) vs Debian's bridge + host-local, {@link #CNI_RUNS} podman run/rm each, interleaved;</li>
 *   <li>agent resident memory (VmRSS from /proc) idle (alone, no peer) and with 3 peers after the traffic.</li>
 * </ul>
 *
 * Prints the results and writes them into the section "Kernel paths and CNI (issue 3)" of the markdown file given
 * as the first argument (created when missing; other sections are kept).
 */
public final class Bench {
    static final String HEADING = "## Kernel paths and CNI (issue 3)";
    static final int REPEATS = 3;
    static final int SECONDS = 5;
    private static final int CNI_RUNS = 15;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final java.util.concurrent.atomic.AtomicInteger PORTS =
            new java.util.concurrent.atomic.AtomicInteger(5201);
    /** The agent's resident memory goal, MiB. */
    static final double RSS_GOAL_MIB = 96;
    private static final Pattern RSS = Pattern.compile("VmRSS:\\s+(\\d+) kB");

    private Bench() {
    }

    /**
     * The JVM options {@code bin/edgelink agent} ships: {@code bin/agent.jvm-options} of the checkout named by the
     * system property {@code edgelink.root} (the scripts set it), else of the working directory or its parent (a
     * module's tests run in the module's directory), comments and blank lines left out.
     */
    static List<String> shippedAgentOptions() throws IOException {
        Path rel = Path.of("bin", "agent.jvm-options");
        String root = System.getProperty("edgelink.root");
        Path file = root != null ? Path.of(root).resolve(rel)
                : Files.exists(rel) ? rel : Path.of("..").resolve(rel);
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            String l = line.strip();
            if (!l.isEmpty() && !l.startsWith("#")) {
                out.add(l);
            }
        }
        return out;
    }

    /** A pod end: a namespace path and its address. */
    record End(Node node, String netns, String ip) {
    }

    public static void main(String[] args) throws Exception {
        Path doc = Path.of(args.length > 0 ? args[0] : "docs/benchmarks.md");
        Lab lab = Lab.open();
        EdgelinkCluster cluster = null;
        List<Path> shims = new ArrayList<>();
        try {
            Topologies.Direct t = Topologies.direct(lab);
            Node n4 = lab.node("n4");
            n4.attach(t.lan(), "10.1.0.14");
            n4.defaultRoute("10.1.0.1");
            cluster = EdgelinkCluster.create(lab, List.of(t.n1(), t.n2(), t.n3(), n4),
                    EdgelinkCluster.runningClasspath());
            // Kernel paths only, as on a network without NATs: the pod MTU is then the VXLAN one (1450), the same as
            // the hand-made paths', instead of leaving room for the userspace paths' 86 bytes.
            cluster.config("userspace", "false");
            EdgelinkCluster c = cluster;
            Runtime.getRuntime().addShutdownHook(new Thread(c::close, "bench-teardown"));

            measure(lab, cluster, t, doc, shims);
        } finally {
            if (cluster != null) {
                cluster.close();
            } else {
                lab.close();
            }
            for (Path s : shims) {
                Files.deleteIfExists(s);
            }
        }
        System.exit(0);
    }

    /** What {@link #setUp} made: the idle RSS (JVM defaults, shipped options), the pods, the bridge node. */
    private record Setup(long rssIdleDefaults, long rssIdle, Pod p1, Pod p2, Pod p3, Node hb) {
    }

    /** Starts the member's agent alone, lets it settle 5 s, returns its VmRSS in KiB. */
    private static long idleRss(EdgelinkCluster cluster, EdgelinkCluster.Member m) throws Exception {
        cluster.start(m);
        cluster.awaitRunning(m);
        Thread.sleep(5000);
        return rssKib(m.agent().orElseThrow());
    }

    /** Agents (n1 alone first, for the idle RSS), the timing shims, the networks and one pod per node. */
    private static Setup setUp(Lab lab, EdgelinkCluster cluster, Topologies.Direct t, List<Path> shims)
            throws Exception {
        EdgelinkCluster.Member m1 = cluster.member(t.n1());
        List<String> shipped = shippedAgentOptions();
        long rssIdleDefaults = idleRss(cluster, m1);
        cluster.stop(m1);
        m1.jvmOptions(shipped);
        long rssIdle = idleRss(cluster, m1);
        progress("agent idle (no peers): VmRSS %d KiB with the shipped options %s (goal < %.0f MiB), %d KiB with "
                + "the JVM's defaults", rssIdle, shipped, RSS_GOAL_MIB, rssIdleDefaults);
        for (EdgelinkCluster.Member m : cluster.members().subList(1, 4)) {
            cluster.start(m);
        }
        for (EdgelinkCluster.Member m : cluster.members().subList(1, 4)) {
            cluster.awaitRunning(m);
        }

        Path bridgeShim = shim(lab, "el-bridge-" + lab.id(), Path.of("/usr/lib/cni/bridge"), "bridge");
        shims.add(bridgeShim);
        Path ourShim = shim(lab, cluster.pluginType() + "-timed", cluster.launcher(), "edgelink");
        shims.add(ourShim);
        Podman podman = lab.podman();
        podman.network(t.n1(), cluster.conflist(t.n1()));
        podman.network(t.n2(), Conflist.template("{\"cniVersion\":\"1.0.0\",\"name\":\"@NAME@\",\"plugins\":["
                + "{\"type\":\"" + ourShim.getFileName() + "\",\"agentSocket\":\"" + cluster.member(t.n2())
                .socket() + "\"}]}"));
        podman.network(t.n3(), cluster.conflist(t.n3()));
        Node hb = lab.node("hb");
        podman.network(hb, Conflist.template(Conflist.referenceBridge("10.246.0.0/24").render("@NAME@")
                .replace("\"type\": \"bridge\"", "\"type\": \"" + bridgeShim.getFileName() + "\"")));
        Pod p1 = podman.run(t.n1(), "p1");
        Pod p2 = podman.run(t.n2(), "p2");
        Pod p3 = podman.run(t.n3(), "p3");
        cluster.awaitPath(m1, "n2", "hostgw", Duration.ofSeconds(60));
        cluster.awaitPath(m1, "n3", "vxlan", Duration.ofSeconds(60));
        cluster.awaitPath(cluster.member(t.n3()), "n1", "vxlan", Duration.ofSeconds(60));
        return new Setup(rssIdleDefaults, rssIdle, p1, p2, p3, hb);
    }

    private static void measure(Lab lab, EdgelinkCluster cluster, Topologies.Direct t, Path doc, List<Path> shims)
            throws Exception {
        Setup su = setUp(lab, cluster, t, shims);
        EdgelinkCluster.Member m1 = cluster.member(t.n1());
        Pod p1 = su.p1();
        Pod p2 = su.p2();
        Pod p3 = su.p3();
        Node hb = su.hb();
        long rssIdle = su.rssIdle();
        Podman podman = lab.podman();
        int podMtu = cluster.status(m1).at("/node/podMtu").asInt();

        Hand hand = Hand.build(lab, t);
        End o1 = new End(t.n1(), p1.netnsPath().toString(), p1.ip());
        End o2 = new End(t.n2(), p2.netnsPath().toString(), p2.ip());
        End o3 = new End(t.n3(), p3.netnsPath().toString(), p3.ip());
        Path natTable = lab.dir().resolve("edgelink-nat.nft");
        Files.writeString(natTable, lab.exec(t.n1().netns(), "nft", "list", "table", "ip", "edgelink").check()
                .stdout());
        List<double[]> ourGw = new ArrayList<>();
        List<double[]> handGw = new ArrayList<>();
        List<double[]> natGw = new ArrayList<>();
        List<double[]> ourVx = new ArrayList<>();
        List<double[]> handVx = new ArrayList<>();
        List<double[]> natVx = new ArrayList<>();
        List<double[]> bareGw = new ArrayList<>();
        List<double[]> bareVx = new ArrayList<>();
        List<Node> ourNodes = List.of(t.n1(), t.n2(), t.n3());
        List<String> loads = new ArrayList<>();
        for (int i = 0; i < REPEATS; i++) {
            loads.add(loadAverage());
            ourGw.add(iperf(lab, o1, o2));
            handGw.add(iperf(lab, hand.p1, hand.p2));
            hand.nat(lab, natTable, true);
            natGw.add(iperf(lab, hand.p1, hand.p2));
            natVx.add(iperf(lab, hand.p1, hand.p3));
            hand.nat(lab, natTable, false);
            ourVx.add(iperf(lab, o1, o3));
            handVx.add(iperf(lab, hand.p1, hand.p3));
            ourNat(lab, ourNodes, natTable, false);
            bareVx.add(iperf(lab, o1, o3));
            bareGw.add(iperf(lab, o1, o2));
            ourNat(lab, ourNodes, natTable, true);
            progress("iperf3 round %d (load %s), Gbit/s: hostgw ours %.2f, by hand %.2f, by hand + our nat table "
                    + "%.2f, ours without it %.2f; vxlan ours %.2f, by hand %.2f, by hand + our nat table %.2f, ours "
                    + "without it %.2f", i + 1, loads.get(i), ourGw.get(i)[0], handGw.get(i)[0], natGw.get(i)[0],
                    bareGw.get(i)[0], ourVx.get(i)[0], handVx.get(i)[0], natVx.get(i)[0], bareVx.get(i)[0]);
        }
        double rGw = rtt(lab, o1, o2);
        double rHandGw = rtt(lab, hand.p1, hand.p2);
        double rVx = rtt(lab, o1, o3);
        double rHandVx = rtt(lab, hand.p1, hand.p3);
        long rss3 = rssKib(m1.agent().orElseThrow());
        long rss3Defaults = rssKib(cluster.member(t.n2()).agent().orElseThrow());
        progress("agents with 3 peers after the traffic: VmRSS %d KiB (n1, shipped options; goal < %.0f MiB: %s), "
                + "%d KiB (n2, JVM defaults)", rss3, RSS_GOAL_MIB, rss3 / 1024.0 < RSS_GOAL_MIB ? "met" : "missed",
                rss3Defaults);

        Path ourLog = lab.dir().resolve("cni-add-edgelink.ns");
        Path bridgeLog = lab.dir().resolve("cni-add-bridge.ns");
        for (int i = 0; i < CNI_RUNS; i++) {
            podman.run(t.n2(), "a" + i).remove();
            podman.run(hb, "b" + i).remove();
        }
        List<Double> ours = millis(ourLog);
        List<Double> ref = millis(bridgeLog);
        progress("CNI ADD under podman: edgelink %s, bridge %s", ours, ref);

        String section = section(List.of(ourGw, handGw, natGw, ourVx, handVx, natVx, bareGw, bareVx), loads,
                new double[] {rGw, rHandGw, rVx, rHandVx}, podMtu,
                ours, ref, new long[] {su.rssIdleDefaults(), rss3Defaults, rssIdle, rss3}, shippedAgentOptions());
        System.out.println(section);
        writeSection(doc, section);
        progress("wrote %s", doc);
    }

    /** The hand-made paths, with iproute2 only: h1, h2 on lan, h3 on far; a ptp pod namespace on each. */
    static final class Hand {
        List<Node> nodes;
        End p1;
        End p2;
        End p3;

        static Hand build(Lab lab, Topologies.Direct t) {
            Hand h = new Hand();
            Node h1 = lab.node("h1");
            h1.attach(t.lan(), "10.1.0.21");
            h1.defaultRoute("10.1.0.1");
            Node h2 = lab.node("h2");
            h2.attach(t.lan(), "10.1.0.22");
            h2.defaultRoute("10.1.0.1");
            Node h3 = lab.node("h3");
            h3.attach(t.far(), "10.2.0.23");
            h3.defaultRoute("10.2.0.1");
            h.p1 = pod(lab, h1, 1);
            h.p2 = pod(lab, h2, 2);
            h.p3 = pod(lab, h3, 3);
            h.nodes = List.of(h1, h2, h3);
            ip(lab, h1, "route", "add", "10.245.2.0/24", "via", "10.1.0.22");
            ip(lab, h2, "route", "add", "10.245.1.0/24", "via", "10.1.0.21");
            vxlan(lab, h1, 1, "10.1.0.21");
            vxlan(lab, h3, 3, "10.2.0.23");
            peer(lab, h1, 3, "10.2.0.23");
            peer(lab, h3, 1, "10.1.0.21");
            return h;
        }

        /** Loads (or deletes) the agent's nat table in the hand-made nodes. */
        void nat(Lab lab, Path table, boolean on) {
            for (Node n : nodes) {
                if (on) {
                    lab.exec(n.netns(), "nft", "-f", table.toString()).check();
                } else {
                    lab.exec(n.netns(), "nft", "delete", "table", "ip", "edgelink").check();
                }
            }
        }

        private static End pod(Lab lab, Node node, int i) {
            Node pod = lab.node("hp" + i);
            String gw = "10.245." + i + ".1";
            String ip = "10.245." + i + ".2";
            lab.exec(node.netns(), "sysctl", "-qw", "net.ipv4.ip_forward=1").check();
            ip(lab, node, "link", "add", "hv" + i, "mtu", "1450", "type", "veth", "peer", "name", "eth0", "mtu",
                    "1450", "netns", pod.netns());
            ip(lab, node, "addr", "add", gw + "/32", "dev", "hv" + i);
            ip(lab, node, "link", "set", "hv" + i, "up");
            ip(lab, node, "route", "add", ip + "/32", "dev", "hv" + i);
            ip(lab, pod, "addr", "add", ip + "/32", "dev", "eth0");
            ip(lab, pod, "link", "set", "eth0", "up");
            ip(lab, pod, "route", "add", "default", "via", gw, "dev", "eth0", "onlink");
            return new End(pod, "/run/netns/" + pod.netns(), ip);
        }

        private static void vxlan(Lab lab, Node node, int i, String underlay) {
            ip(lab, node, "link", "add", "hvx", "address", "02:00:00:00:00:0" + i, "type", "vxlan", "id", "42",
                    "dstport", "8472", "local", underlay, "dev", "eth0", "nolearning");
            ip(lab, node, "addr", "add", "10.245." + i + ".0/32", "dev", "hvx");
            ip(lab, node, "link", "set", "hvx", "up");
        }

        private static void peer(Lab lab, Node node, int j, String underlay) {
            String mac = "02:00:00:00:00:0" + j;
            ip(lab, node, "neigh", "add", "10.245." + j + ".0", "lladdr", mac, "dev", "hvx", "nud", "permanent");
            lab.exec(node.netns(), "bridge", "fdb", "append", mac, "dev", "hvx", "dst", underlay).check();
            ip(lab, node, "route", "add", "10.245." + j + ".0/24", "via", "10.245." + j + ".0", "dev", "hvx",
                    "onlink");
        }

        private static void ip(Lab lab, Node node, String... args) {
            List<String> cmd = new ArrayList<>(List.of("ip"));
            cmd.addAll(List.of(args));
            lab.exec(node.netns(), cmd.toArray(String[]::new)).check();
        }
    }

    /** One iperf3 run from {@code a} to {@code b}: {Gbit/s received, retransmits}; retried when it fails. */
    static double[] iperf(Lab lab, End a, End b) {
        String last = "";
        for (int attempt = 0; attempt < 4; attempt++) {
            IperfRun r = iperfRun(lab, a, b, SECONDS);
            if (r.failure() == null) {
                return new double[] {r.gbit(), r.retransmits()};
            }
            last = r.failure();
        }
        throw new LabException("iperf3 from " + a.ip() + " to " + b.ip() + " failed 4 times; last: " + last);
    }

    /**
     * One iperf3 client run with {@code -J} (its JSON report) and {@code options}, or why it failed.
     *
     * @param json the client's report (empty when it printed none)
     * @param failure null when iperf3 exited 0 with a report, no error and some bytes received; else the reason
     */
    record IperfRun(JsonNode json, String failure) {
        /** Received, Gbit/s (0 when there is no report). */
        double gbit() {
            return json.at("/end/sum_received/bits_per_second").asDouble() / 1e9;
        }

        long retransmits() {
            return json.at("/end/sum_sent/retransmits").asLong();
        }
    }

    /**
     * One iperf3 run of {@code seconds} from {@code a} to {@code b} with {@code options} (e.g. {@code -P 4}), against
     * a one-off server started for it. Only a refused connection (the server not listening yet) is tried again: a
     * run that started and failed is returned as it is.
     */
    static IperfRun iperfRun(Lab lab, End a, End b, int seconds, String... options) {
        int port = PORTS.getAndIncrement();
        // the server reports in JSON too, so that --get-server-output gives the receiver's intervals as JSON
        LabProcess server = lab.spawn(b.node().netns(), "iperf3-s", "nsenter", "--net=" + b.netns(), "iperf3",
                "-s", "-1", "-J", "-p", Integer.toString(port));
        List<String> cmd = new ArrayList<>(List.of("nsenter", "--net=" + a.netns(), "iperf3", "-c", b.ip(), "-p",
                Integer.toString(port), "-t", Integer.toString(seconds), "-J"));
        cmd.addAll(List.of(options));
        try {
            ExecResult r = null;
            for (int connect = 0; connect < 50; connect++) {
                r = lab.exec(a.node().netns(), Duration.ofSeconds(seconds + 30), cmd.toArray(String[]::new));
                if (r.ok() || !r.stdout().contains("Connection refused")) {
                    break;
                }
                sleep(100);
            }
            JsonNode j;
            try {
                j = r.stdout().isBlank() ? JSON.createObjectNode() : JSON.readTree(r.stdout());
            } catch (IOException e) {
                return new IperfRun(JSON.createObjectNode(), "no JSON: " + e.getMessage() + "; " + r.describe());
            }
            IperfRun run = new IperfRun(j, null);
            if (r.ok() && !j.has("error") && run.gbit() > 0) {
                return run;
            }
            return new IperfRun(j, failure(r, j));
        } finally {
            server.stop(Duration.ofSeconds(2));
        }
    }

    /** Why an iperf3 client run failed, in one line. */
    private static String failure(ExecResult r, JsonNode json) {
        String why = json.has("error") ? "iperf3: " + json.path("error").asText()
                : r.timedOut() ? "iperf3 did not end within " + r.took().toSeconds() + " s and was killed"
                : r.exitCode() != 0 ? "iperf3 exited " + r.exitCode()
                : "iperf3 reported no bytes received";
        String err = r.stderr().strip().lines().findFirst().orElse("");
        return why + (err.isEmpty() ? "" : " (" + err + ")");
    }

    /** Loads (or deletes) a copy of the agents' nat table in our nodes; the agents write it only at start. */
    private static void ourNat(Lab lab, List<Node> nodes, Path table, boolean on) {
        for (Node n : nodes) {
            if (on) {
                lab.exec(n.netns(), "nft", "-f", table.toString()).check();
            } else {
                lab.exec(n.netns(), "nft", "delete", "table", "ip", "edgelink").check();
            }
        }
    }

    /** The 1-minute load average (from /proc/loadavg), to judge how busy the shared machine was. */
    static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException e) {
            return "?";
        }
    }

    /** Average RTT of 20 pings, ms. */
    static double rtt(Lab lab, End a, End b) {
        ExecResult r = lab.exec(a.node().netns(), Duration.ofSeconds(20), "nsenter", "--net=" + a.netns(), "ping",
                "-n", "-q", "-c", "20", "-i", "0.05", b.ip()).check();
        Matcher m = Pattern.compile("= [\\d.]+/([\\d.]+)/").matcher(r.stdout());
        return m.find() ? Double.parseDouble(m.group(1)) : -1;
    }

    static long rssKib(LabProcess p) throws IOException {
        String status = Files.readString(Path.of("/proc", Long.toString(p.pid()), "status"));
        Matcher m = RSS.matcher(status);
        if (!m.find() || !status.contains("Name:\tjava")) {
            throw new LabException("no VmRSS of a java process in /proc/" + p.pid() + "/status");
        }
        return Long.parseLong(m.group(1));
    }

    /**
     * A timing shim in /opt/cni/bin: runs {@code real} (stdin, environment and exit code passed through) and
     * appends the nanoseconds an ADD took to {@code <lab dir>/cni-add-<label>.ns}.
     */
    static Path shim(Lab lab, String name, Path real, String label) throws IOException {
        Path log = lab.dir().resolve("cni-add-" + label + ".ns");
        String script = "#!/bin/sh\n"
                + "s=$(/bin/date +%s%N)\n"
                + "'" + real + "'\n"
                + "rc=$?\n"
                + "if [ \"$CNI_COMMAND\" = ADD ]; then echo $(( $(/bin/date +%s%N) - s )) >> '" + log + "'; fi\n"
                + "exit $rc\n";
        Path p = EdgelinkCluster.CNI_BIN.resolve(name);
        Files.writeString(p, script, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        return p;
    }

    static List<Double> millis(Path log) throws IOException {
        List<Double> out = new ArrayList<>();
        for (String l : Files.readAllLines(log)) {
            if (!l.isBlank()) {
                out.add(Long.parseLong(l.trim()) / 1e6);
            }
        }
        return out;
    }

    static double median(List<Double> v) {
        return percentile(v, 50);
    }

    /** Nearest-rank percentile. */
    static double percentile(List<Double> v, int p) {
        List<Double> s = new ArrayList<>(v);
        Collections.sort(s);
        int rank = (int) Math.ceil(p / 100.0 * s.size());
        return s.get(Math.max(0, rank - 1));
    }

    static double medianGbit(List<double[]> runs) {
        List<Double> v = new ArrayList<>();
        runs.forEach(r -> v.add(r[0]));
        return median(v);
    }

    /** {@code iperf}: hostgw ours, by hand, by hand + nat table; vxlan the same three. */
    static String section(List<List<double[]>> iperf, List<String> loads, double[] rtt, int podMtu,
            List<Double> ours, List<Double> ref, long[] rss, List<String> shipped) throws IOException {
        double rGw = rtt[0];
        double rHandGw = rtt[1];
        double rVx = rtt[2];
        double rHandVx = rtt[3];
        double gw = medianGbit(iperf.get(0));
        double hgw = medianGbit(iperf.get(1));
        double ngw = medianGbit(iperf.get(2));
        double vx = medianGbit(iperf.get(3));
        double hvx = medianGbit(iperf.get(4));
        double nvx = medianGbit(iperf.get(5));
        double bgw = medianGbit(iperf.get(6));
        double bvx = medianGbit(iperf.get(7));
        StringBuilder b = new StringBuilder();
        b.append(HEADING).append("\n\n");
        b.append(String.format(Locale.ROOT, "Measured by `bash scripts/bench-lab.sh` on %s, all in one run on this "
                + "machine (%d vCPUs, shared: absolute numbers drift, the ratios are the result). Lab: issue 3's "
                + "topology; the hand-made paths are built with iproute2 next to ours in the same lab (same segment, "
                + "same router, ptp pod veths, pod MTU 1450; ours reports %d).%n%n", LocalDate.now(),
                Runtime.getRuntime().availableProcessors(), podMtu));
        b.append(String.format(Locale.ROOT, "iperf3 TCP, 1 stream, %d s, median of %d interleaved runs, pod to pod:"
                + "%n%n", SECONDS, REPEATS));
        b.append("| path | ours Gbit/s | by hand Gbit/s | ratio (goal >= 0.95) | by hand + our nat table Gbit/s | "
                + "ratio to that | RTT ours / by hand ms |\n");
        b.append("|---|---|---|---|---|---|---|\n");
        b.append(String.format(Locale.ROOT, "| hostgw (n1 -> n2, same segment) vs a hand-made routed path | %.2f | "
                + "%.2f | %.2fx | %.2f | %.2fx | %.3f / %.3f |%n", gw, hgw, gw / hgw, ngw, gw / ngw, rGw, rHandGw));
        b.append(String.format(Locale.ROOT, "| vxlan (n1 -> n3, across the router) vs hand-made kernel VXLAN | %.2f "
                + "| %.2f | %.2fx | %.2f | %.2fx | %.3f / %.3f |%n%n", vx, hvx, vx / hvx, nvx, vx / nvx, rVx,
                rHandVx));
        b.append(String.format(Locale.ROOT, "The paths alone, our nodes with `table ip edgelink` deleted for the run "
                + "(restored after it), against the same hand-made paths: hostgw %.2f vs %.2f Gbit/s (%.2fx), vxlan "
                + "%.2f vs %.2f Gbit/s (%.2fx). 1-minute load average at the start of each round: %s.%n%n", bgw, hgw,
                bgw / hgw, bvx, hvx, bvx / hvx, String.join(", ", loads)));
        b.append("\"Our nat table\": the agent's `table ip edgelink` (pod egress masquerade, as flannel's ipMasq), "
                + "copied from n1 with `nft list table` and loaded into the hand-made nodes for those runs, to tell "
                + "the cost of the masquerade table (a nat chain puts every connection through conntrack) from the "
                + "cost of the paths.\n\n");
        b.append(String.format(Locale.ROOT, "CNI ADD as podman runs it (a timing shim around the plugin binary; %d "
                + "and %d `podman run`, interleaved):%n%n", ours.size(), ref.size()));
        b.append("| plugin | median ms | p95 ms |\n|---|---|---|\n");
        b.append(String.format(Locale.ROOT, "| edgelink (sh launcher + curl + agent) | %.1f | %.1f |%n",
                median(ours), percentile(ours, 95)));
        b.append(String.format(Locale.ROOT, "| Debian bridge + host-local | %.1f | %.1f |%n%n", median(ref),
                percentile(ref, 95)));
        b.append(String.format(Locale.ROOT, "Agent resident memory (VmRSS from /proc/PID/status, MiB; goal under %.0f "
                + "MiB), idle = alone with no peer for 5 s, 3 peers = after the iperf3 runs; load average at the end "
                + "of the run: %s:%n%n", RSS_GOAL_MIB, loadAverages()));
        b.append("| agent JVM | idle | 3 peers |\n|---|---|---|\n");
        b.append(String.format(Locale.ROOT, "| shipped by `bin/edgelink agent` (`bin/agent.jvm-options`: `%s`) | %.1f "
                + "| %.1f |%n", String.join(" ", shipped), rss[2] / 1024.0, rss[3] / 1024.0));
        b.append(String.format(Locale.ROOT, "| JVM defaults (`EDGELINK_JAVA_OPTS=`; as the e2e tests run it) | %.1f | "
                + "%.1f |%n", rss[0] / 1024.0, rss[1] / 1024.0));
        return b.toString();
    }

    /** The first three fields of /proc/loadavg. */
    static String loadAverages() throws IOException {
        String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
        return f[0] + " " + f[1] + " " + f[2];
    }

    /** Replaces (or appends) the section under {@link #HEADING} in {@code doc}, up to the next "## " heading. */
    static void writeSection(Path doc, String section) throws IOException {
        writeSection(doc, HEADING, section);
    }

    /** Replaces (or appends) the section under {@code heading} in {@code doc}, up to the next "## " heading. */
    static void writeSection(Path doc, String heading, String section) throws IOException {
        String text = Files.exists(doc) ? Files.readString(doc) : "# Benchmarks\n\n";
        int start = text.indexOf(heading);
        String out;
        if (start < 0) {
            out = text + (text.endsWith("\n\n") ? "" : text.endsWith("\n") ? "\n" : "\n\n") + section;
        } else {
            int next = text.indexOf("\n## ", start + heading.length());
            out = text.substring(0, start) + section + (next < 0 ? "" : "\n" + text.substring(next + 1));
        }
        Files.writeString(doc, out);
    }

    /** Sleeps {@code ms}; an interrupt ends the run with a {@link LabException}. */
    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LabException("interrupted", e);
        }
    }

    private static void progress(String format, Object... args) {
        System.err.printf("bench: " + format + "%n", args);
    }
}
