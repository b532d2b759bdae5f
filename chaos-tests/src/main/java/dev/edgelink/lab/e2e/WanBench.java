package dev.edgelink.lab.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import dev.edgelink.lab.LabException;
import dev.edgelink.lab.Node;
import dev.edgelink.lab.Topologies;
import dev.edgelink.lab.Wan;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Issue 8's benchmark in one run ({@code scripts/bench-wan.sh}): pod to pod a-n1 -> b-n1 through both NATs of issue
 * 4's topology ({@link SitesBench#onSites}) with a WAN on the internet segment ({@link #ONE_WAY} each way, so a 40 ms
 * RTT between the sites; {@link #LOSSES} % random loss per crossing), {@link #FLOWS} parallel TCP streams. Four
 * subjects per configuration, one after the other (interleaved, the order reversed every other round):
 *
 * <ul>
 *   <li>ours direct: our agents' pods on the hole-punched direct path;</li>
 *   <li>ours relayed: the same pods after the direct path between the sites was cut on a-rtr
 *       ({@link EdgelinkSites#cutDirect}) and both agents show {@code relayed} (through the relay on the cloud
 *       node); the cut is lifted after the run and the agents are given time to go back to direct;</li>
 *   <li>nebula and wireguard-go peer to peer a-n1 -> b-n1 (host to host over their tunnels).</li>
 * </ul>
 *
 * There is no goal for the throughput: the goal is that every run carries traffic to its end. A run's verdict reads
 * the receiver's one-second intervals (iperf3 {@code --get-server-output}); the WAN's counters are read around each
 * run so the loss really applied is shown. After the runs, the agents' memory ({@code GET /status} and
 * {@code /metrics}). Nothing fails the run: a subject that is not ready or a run that fails is reported with the
 * reason. Prints the section and writes it into "Over a WAN (issue 8)" of the markdown file given as the first
 * argument (other sections are kept).
 */
public final class WanBench {
    static final String HEADING = "## Over a WAN (issue 8)";
    static final Duration ONE_WAY = Duration.ofMillis(20);
    static final double[] LOSSES = {0, 1};
    static final int[] FLOWS = {1, 4};
    /** Seconds per run (system property {@code edgelink.bench.seconds}; 20 unless told). */
    static final int SECONDS = Integer.getInteger("edgelink.bench.seconds", 20);
    /** Rounds over every configuration (system property {@code edgelink.bench.rounds}; 2 unless told). */
    static final int ROUNDS = Integer.getInteger("edgelink.bench.rounds", 2);
    /** How long a VPN's tunnel may take to answer a ping before its run. */
    private static final Duration TUNNEL_UP = Duration.ofSeconds(30);
    private static final Pattern METRIC = Pattern.compile("^(edgelink_[a-z_]+)(\\{[^}]*})? (\\S+)$",
            Pattern.MULTILINE);

    private final Topologies.Sites t;
    private final EdgelinkSites ours;
    private final Wan wan;
    private final List<Subject> subjects = new ArrayList<>();
    private String oursFailed;

    private WanBench(Topologies.Sites t, EdgelinkSites ours, Wan wan) {
        this.t = t;
        this.ours = ours;
        this.wan = wan;
    }

    public static void main(String[] args) throws Exception {
        Path doc = Path.of(args.length > 0 ? args[0] : "docs/benchmarks.md");
        SitesBench.onSites((lab, t, vpns, ours) -> {
            String loadStart = SitesBench.loadAverage();
            // the WAN is there from the start: the agents start, punch and find their paths across it
            Wan wan = t.inet().wan(ONE_WAY, 0);
            new WanBench(t, ours, wan).measure(vpns, doc, loadStart);
        });
        System.exit(0);
    }

    /** A configuration: loss in percent, parallel streams. */
    record Config(double loss, int flows) {
        String label() {
            return String.format(Locale.ROOT, "%s %% loss, %d %s", percent(loss), flows, flows == 1 ? "flow"
                    : "flows");
        }
    }

    /** What one run gave; {@code failure} null when iperf3 finished with a report. */
    record Run(double mbit, long retransmits, String toTheEnd, boolean carried, long wanSeen, long wanLost,
            String notes, String failure) {
    }

    /** Gets a subject ready for a run and back to normal after it. */
    interface Stage {
        /** Null when the subject is ready for a run, else why not. */
        String enter();

        /** After the run (also after a failed {@link #enter()}): what happened meanwhile, "" when nothing. */
        default String leave() {
            return "";
        }
    }

    /** One of the four things measured. */
    static final class Subject {
        final String tag;
        final String name;
        final Bench.End client;
        final Bench.End server;
        final Stage stage;
        final Map<Config, List<Run>> runs = new LinkedHashMap<>();
        double rtt = Double.NaN;

        Subject(String tag, String name, Bench.End client, Bench.End server, Stage stage) {
            this.tag = tag;
            this.name = name;
            this.client = client;
            this.server = server;
            this.stage = stage;
        }

        List<Run> runs(Config c) {
            return runs.computeIfAbsent(c, k -> new ArrayList<>());
        }

        /** The mean of the runs that finished with a report, Mbit/s; NaN when none did. */
        double mean(Config c) {
            return runs(c).stream().filter(r -> r.failure() == null).mapToDouble(Run::mbit).average()
                    .orElse(Double.NaN);
        }
    }

    private void measure(UserspaceVpns vpns, Path doc, String loadStart) throws IOException {
        SitesBench.Row nebula = SitesBench.nebula(t, vpns);
        SitesBench.Row wg = SitesBench.wireguardP2p(t, vpns);
        progress("nebula and wireguard-go peer to peer up across the WAN");
        startOurs();
        subjects.add(new Subject("nebula", "nebula peer to peer (lighthouse on the cloud node, punchy)",
                nebula.client, nebula.server, () -> tunnelUp(t.a1(), nebula.server.ip())));
        subjects.add(new Subject("wg-p2p", "wireguard-go peer to peer", wg.client, wg.server,
                () -> tunnelUp(t.a1(), wg.server.ip())));
        // without agents our subjects are never ready, so their ends are never used
        List<Bench.End> pods = oursFailed == null ? ours.ends(t.a1(), t.b1()) : Arrays.asList(null, null);
        subjects.add(new Subject("ours-direct", "edgelink direct (hole-punched), pod to pod", pods.get(0),
                pods.get(1), new OursOn("direct", null)));
        subjects.add(new Subject("ours-relayed", "edgelink relayed via the cloud node (direct path cut), pod to "
                + "pod", pods.get(0), pods.get(1), new OursOn("relayed", ours::cutDirect)));
        String loadBefore = SitesBench.loadAverage();
        for (int round = 0; round < ROUNDS; round++) {
            for (double loss : LOSSES) {
                wan.setLoss(loss);
                for (int flows : FLOWS) {
                    Config c = new Config(loss, flows);
                    List<Subject> order = new ArrayList<>(subjects);
                    if (round % 2 == 1) {
                        Collections.reverse(order);
                    }
                    for (Subject s : order) {
                        run(s, c, round);
                    }
                }
            }
        }
        String loadAfter = SitesBench.loadAverage();
        String memory = memory();
        String section = section(new String[] {loadStart, loadBefore, loadAfter}, memory,
                UserspaceVpns.versions(t.cloud()));
        System.out.println(section);
        Bench.writeSection(doc, HEADING, section);
        progress("wrote %s", doc);
    }

    /** Starts our agents and pods across the WAN; a failure leaves our subjects not ready, with the reason. */
    private void startOurs() {
        try {
            ours.run();
            if (ours.directMissing() != null) {
                progress("the direct path a-n1 -> b-n1 did not come up: %s", ours.directMissing());
            }
        } catch (LabException e) {
            oursFailed = "the agents did not start: " + SitesBench.firstLine(e.getMessage());
            progress("%s", e.getMessage());
            ours.stopAgents();
        }
    }

    // ------------------------------------------------------------------------------------------- one run

    private void run(Subject s, Config c, int round) {
        String notReady = s.stage.enter();
        Run r;
        if (notReady != null) {
            String after = s.stage.leave();
            r = new Run(0, 0, "not run", false, 0, 0, after, "not ready: " + notReady);
        } else {
            if (Double.isNaN(s.rtt) && c.loss() == 0) {
                s.rtt = rtt(s);
            }
            Wan.Counters before = wan.counters();
            Bench.IperfRun ir = Bench.iperfRun(ours.cluster().lab(), s.client, s.server, SECONDS, "-P",
                    Integer.toString(c.flows()), "--get-server-output");
            Wan.Counters after = wan.counters();
            Continuity k = Continuity.of(ir.json());
            boolean carried = ir.failure() == null && k.emptyLate() == 0 && k.late() > 0;
            r = new Run(ir.gbit() * 1000, ir.retransmits(), k.describe(ir.failure() == null), carried,
                    after.seen() - before.seen(), after.lost() - before.lost(), s.stage.leave(),
                    ir.failure() == null ? null : SitesBench.firstLine(ir.failure()));
        }
        s.runs(c).add(r);
        progress("round %d, %s, %s: %s", round + 1, c.label(), s.tag, describe(r));
    }

    private static String describe(Run r) {
        String figures = r.failure() == null ? String.format(Locale.ROOT, "%.1f Mbit/s, %d retransmits",
                r.mbit(), r.retransmits()) : "FAILED (" + r.failure() + ")";
        return String.format(Locale.ROOT, "%s; carried to its end: %s; WAN lost %d of %d packets (%s %%)%s",
                figures, r.toTheEnd(), r.wanLost(), r.wanSeen(), percent(share(r.wanLost(), r.wanSeen())),
                r.notes().isEmpty() ? "" : "; " + r.notes());
    }

    private double rtt(Subject s) {
        try {
            return Bench.rtt(ours.cluster().lab(), s.client, s.server);
        } catch (LabException e) {
            return Double.NaN;
        }
    }

    /** Null when {@code ip} answers a ping from {@code from} (within {@link #TUNNEL_UP}), else why not. */
    private static String tunnelUp(Node from, String ip) {
        try {
            from.awaitPing(ip, TUNNEL_UP);
            return null;
        } catch (LabException e) {
            return "its tunnel did not answer pings from " + from.name() + " to " + ip + " for "
                    + TUNNEL_UP.toSeconds() + " s";
        }
    }

    /**
     * Whether the receiver got bytes all along: its one-second intervals (the server's report, which the client
     * fetched with {@code --get-server-output}), those shorter than half a second left out. The client's own
     * intervals would say what the sender put into its socket, which stops when the path stalls but not at once.
     *
     * @param intervals whole intervals
     * @param empty intervals with no byte received
     * @param late intervals in the second half of the run
     * @param emptyLate of those, the ones with no byte received
     */
    record Continuity(int intervals, int empty, int late, int emptyLate) {
        static Continuity of(JsonNode json) {
            JsonNode list = json.path("server_output_json").path("intervals");
            List<double[]> whole = new ArrayList<>();
            for (JsonNode i : list) {
                JsonNode sum = i.path("sum");
                if (sum.path("seconds").asDouble() >= 0.5) {
                    whole.add(new double[] {sum.path("end").asDouble(), sum.path("bytes").asDouble()});
                }
            }
            double half = whole.isEmpty() ? 0 : whole.get(whole.size() - 1)[0] / 2;
            int empty = 0;
            int late = 0;
            int emptyLate = 0;
            for (double[] w : whole) {
                boolean isLate = w[0] > half;
                late += isLate ? 1 : 0;
                empty += w[1] == 0 ? 1 : 0;
                emptyLate += isLate && w[1] == 0 ? 1 : 0;
            }
            return new Continuity(whole.size(), empty, late, emptyLate);
        }

        /** "yes", "yes, 2 of 20 s empty in the first half", "no: 5 of the last 10 s empty" ... */
        String describe(boolean finished) {
            String gaps = empty == 0 ? "" : String.format(Locale.ROOT, ", %d of %d s without a byte", empty,
                    intervals);
            if (!finished) {
                return "no: iperf3 failed" + (intervals == 0 ? "" : String.format(Locale.ROOT, " (%d s reported%s)",
                        intervals, gaps));
            }
            if (late == 0) {
                return "no: the receiver reported no interval";
            }
            return emptyLate == 0 ? "yes" + gaps : String.format(Locale.ROOT, "no: %d of the last %d s without a "
                    + "byte%s", emptyLate, late, gaps);
        }
    }

    // ------------------------------------------------------------------------------------------- our agents

    /**
     * Our pods on {@code path}: waits until a-n1 shows b-n1 there and b-n1 shows a-n1 there; for the relayed path
     * the direct one is cut first ({@code cut}), and lifted after the run, waiting for direct again. Notes what
     * the agents dropped or restarted during the run, and a path that changed under it.
     */
    private final class OursOn implements Stage {
        private final String path;
        private final Supplier<EdgelinkSites.Cut> cutter;
        private EdgelinkSites.Cut cut;
        private Map<String, Long> before;
        private String relayAtStart;

        OursOn(String path, Supplier<EdgelinkSites.Cut> cutter) {
            this.path = path;
            this.cutter = cutter;
        }

        @Override
        public String enter() {
            if (oursFailed != null) {
                return oursFailed;
            }
            if (cutter != null) {
                cut = cutter.get();
            }
            Duration wait = cutter != null ? EdgelinkSites.PATH_WAIT : EdgelinkSites.UPGRADE_WAIT;
            String missing = ours.awaitPath(t.a1(), t.b1(), path, wait);
            if (missing == null) {
                missing = ours.awaitPath(t.b1(), t.a1(), path, wait);
            }
            if (missing == null) {
                before = counters();
                relayAtStart = cutter != null ? relayMemory() : null;
            }
            return missing;
        }

        @Override
        public String leave() {
            List<String> notes = new ArrayList<>();
            if (before != null) {
                if (relayAtStart != null) {
                    notes.add("the relay's circuits held " + relayAtStart + " MiB at the start");
                }
                String changed = changes(before, counters());
                if (!changed.isEmpty()) {
                    notes.add(changed);
                }
                String a = ours.peerState(t.a1(), t.b1());
                if (!a.contains("path " + path + ",")) {
                    notes.add("after the run a-n1 shows b-n1 in " + a);
                }
            }
            before = null;
            relayAtStart = null;
            if (cut != null) {
                notes.add(lift());
            }
            return String.join("; ", notes);
        }

        /** Lifts the cut and waits for direct again: "direct again N s after the cut was lifted" or why not. */
        private String lift() {
            Instant lifted = Instant.now();
            cut.close();
            cut = null;
            String missing = ours.awaitPath(t.a1(), t.b1(), "direct", EdgelinkSites.UPGRADE_WAIT);
            return missing == null ? String.format(Locale.ROOT, "direct again %.1f s after the cut was lifted",
                    Duration.between(lifted, Instant.now()).toMillis() / 1000.0) : missing + " after the cut";
        }
    }

    /**
     * a-n1's and b-n1's userspace counters towards each other (drops by reason, stream resets) and of the data path
     * (restarts, allocation failures), from {@code GET /status}.
     */
    private Map<String, Long> counters() {
        Map<String, Long> out = new LinkedHashMap<>();
        for (Node[] p : new Node[][] {{t.a1(), t.b1()}, {t.b1(), t.a1()}}) {
            JsonNode u = status(p[0]).path("userspace");
            out.put(p[0].name() + " restarts", u.path("restarts").asLong());
            out.put(p[0].name() + " allocFailures", u.path("allocFailures").asLong());
            for (JsonNode peer : u.path("peers")) {
                if (p[1].name().equals(peer.path("node").asText())) {
                    for (String f : List.of("queueDrops", "memoryDrops", "otherDrops", "resets")) {
                        out.put(p[0].name() + " -> " + p[1].name() + " " + f, peer.path(f).asLong());
                    }
                }
            }
        }
        return out;
    }

    /** The counters that moved, "a-n1 -> b-n1 queueDrops +12, ...", or "". */
    private static String changes(Map<String, Long> before, Map<String, Long> after) {
        List<String> out = new ArrayList<>();
        after.forEach((k, v) -> {
            long d = v - before.getOrDefault(k, 0L);
            if (d != 0) {
                out.add(k + " " + (d > 0 ? "+" : "") + d);
            }
        });
        return String.join(", ", out);
    }

    /** What the cloud node's relay holds for its circuits, "used / limit" in MiB, from its {@code /metrics}. */
    private String relayMemory() {
        String metrics = metrics(t.cloud());
        return mib(metric(metrics, "relay", "used")) + " / " + mib(metric(metrics, "relay", "limit"));
    }

    private static String metrics(Node n) {
        return n.exec("busybox", "wget", "-q", "-O", "-", "http://127.0.0.1:9473/metrics").stdout();
    }

    private JsonNode status(Node n) {
        try {
            return ours.cluster().statusHttp(ours.cluster().member(n));
        } catch (LabException e) {
            return MissingNode.getInstance();
        }
    }

    // ------------------------------------------------------------------------------------------- memory

    /** The agents' memory after the runs (a-n1, b-n1 and the cloud node, the relay), as a markdown table. */
    private String memory() throws IOException {
        StringBuilder b = new StringBuilder("| agent | VmRSS MiB | packets held: peak / limit MiB | relay: used / "
                + "peak / limit MiB | direct memory: used / limit MiB | TUN reader | restarts | alloc failures | "
                + "stream resets | `edgelink_tunnel_drops_total` (non-zero) |\n"
                + "|---|---|---|---|---|---|---|---|---|---|\n");
        for (Node n : List.of(t.a1(), t.b1(), t.cloud())) {
            EdgelinkCluster.Member m = ours.cluster().member(n);
            if (m.agent().isEmpty() || !m.agent().get().alive()) {
                b.append("| ").append(n.name()).append(" | not running | | | | | | | | |\n");
                continue;
            }
            JsonNode u = status(n).path("userspace");
            String metrics = metrics(n);
            progress("%s: status userspace %s", n.name(), u);
            progress("%s: %s", n.name(), String.join(", ", metricLines(metrics, "edgelink_memory_bytes",
                    "edgelink_tunnel_drops_total", "edgelink_tunnel_restarts_total")));
            long resets = 0;
            for (JsonNode p : u.path("peers")) {
                resets += p.path("resets").asLong();
            }
            List<String> drops = metricLines(metrics, "edgelink_tunnel_drops_total").stream()
                    .filter(l -> !l.endsWith(" 0")).map(l -> l.replace("edgelink_tunnel_drops_total", "")).toList();
            String reader = !u.has("readerRunning") ? "none" : u.path("readerRunning").asBoolean() ? "running"
                    : "stopped";
            List<String> cells = List.of(n.name(), String.format(Locale.ROOT, "%.1f",
                    Bench.rssKib(m.agent().get()) / 1024.0),
                    mib(u.path("memoryPeak")) + " / " + mib(u.path("memoryLimit")),
                    mib(metric(metrics, "relay", "used")) + " / " + mib(metric(metrics, "relay", "peak")) + " / "
                    + mib(metric(metrics, "relay", "limit")),
                    mib(u.path("directMemoryUsed")) + " / " + mib(u.path("directMemoryLimit")), reader,
                    u.path("restarts").asText("-"), u.path("allocFailures").asText("-"), Long.toString(resets),
                    drops.isEmpty() ? "none" : SitesBench.cell(String.join(", ", drops)));
            b.append("| ").append(String.join(" | ", cells)).append(" |\n");
        }
        return b.toString();
    }

    /** The sample lines of the named metrics. */
    private static List<String> metricLines(String text, String... names) {
        List<String> out = new ArrayList<>();
        Matcher m = METRIC.matcher(text);
        while (m.find()) {
            if (List.of(names).contains(m.group(1))) {
                out.add(m.group());
            }
        }
        return out;
    }

    /** The value of {@code edgelink_memory_bytes{pool="POOL",kind="KIND"}}, or a missing node. */
    private static JsonNode metric(String text, String pool, String kind) {
        for (String l : metricLines(text, "edgelink_memory_bytes")) {
            if (l.contains("pool=\"" + pool + "\"") && l.contains("kind=\"" + kind + "\"")) {
                return DoubleNode.valueOf(Double.parseDouble(
                        l.substring(l.lastIndexOf(' ') + 1)));
            }
        }
        return MissingNode.getInstance();
    }

    private static String mib(JsonNode bytes) {
        return bytes.isNumber() ? String.format(Locale.ROOT, "%.2f", bytes.asDouble() / (1024 * 1024)) : "-";
    }

    // ------------------------------------------------------------------------------------------- the section

    private String section(String[] load, String memory, String versions) {
        StringBuilder b = new StringBuilder(HEADING).append("\n\n");
        b.append(String.format(Locale.ROOT, "Measured by `bash scripts/bench-wan.sh` on %s (commit %s), all in one "
                + "run on this machine (%d vCPUs, shared: absolute numbers drift, compare within the run). Load "
                + "average (1 / 5 / 15 min): %s at the start, %s before and %s after the iperf3 runs.%n%n",
                LocalDate.now(), System.getProperty("edgelink.bench.commit", "unknown"),
                Runtime.getRuntime().availableProcessors(), load[0], load[1], load[2]));
        b.append(String.format(Locale.ROOT, "Lab: issue 4's topology (`Topologies.sites`, as in \"Across NAT (issue "
                + "4)\": two sites behind port-preserving NATs, the cloud node our bootstrap peer and relay, our "
                + "agents with the JVM options `bin/edgelink agent` ships) with a WAN on the internet segment "
                + "(`Segment.wan`): every packet crossing it held %d ms, so %d ms RTT between the sites or between a "
                + "site and the cloud node, and in the loss rows that share of the packets dropped at random on "
                + "each crossing; offloads off on the WAN's links, so it carries MTU-sized packets. The WAN is in "
                + "place from the start: the agents started, punched and chose their paths across it. Baselines: %s "
                + "(Debian's packages).%n%n", ONE_WAY.toMillis(), 2 * ONE_WAY.toMillis(), versions));
        b.append(String.format(Locale.ROOT, "iperf3 TCP, %d s per run, 1 and 4 parallel streams (`-P`), a-n1 -> b-n1 "
                + "for all four; %d rounds, and in each round every configuration runs the four one after the "
                + "other (the order reversed every other round), so load drifts hit all alike. Ours are pod to pod; "
                + "\"ours relayed\" is the same pod pair after the direct path between the sites was cut on a-rtr "
                + "(nft drops of b-rtr's public address) and both agents showed `relayed`: through the relay on "
                + "the cloud node, so its packets cross the WAN twice each way (%d ms RTT); the cut is lifted after "
                + "the run and the next waits for direct again. nebula and wireguard-go run host to host over "
                + "their tunnels.%n%n", SECONDS, ROUNDS, 4 * ONE_WAY.toMillis()));
        b.append("How to read it: Mbit/s is what the receiver got, the mean of the runs (each run in the next column); "
                + "retransmits are the sender's TCP retransmits (of the inner flows: ours run TCP inside our "
                + "TCP connection, whose own retransmits are not counted there). \"Carried to its end\": iperf3 "
                + "finished with a report and the receiver got bytes in every second of the run's second half. "
                + "\"WAN lost\" is what the WAN dropped during the run out of all the packets it carried then (both "
                + "directions; the relayed path crosses it twice). A run \"failed\" when iperf3 did not finish (the "
                + "reason is in the notes) and was \"not run\" when the path it needs did not show up in time; the "
                + "mean is over the runs that finished, with their count when some did not. The ratio to nebula is "
                + "information: the issue sets no goal for it. The goal is that every run carries traffic to its "
                + "end.\n\n");
        for (double loss : LOSSES) {
            for (int flows : FLOWS) {
                table(b, new Config(loss, flows));
            }
        }
        b.append(verdict());
        b.append("Our agents' memory after all the runs (`GET /status` `userspace` and `/metrics`; a-n1 and b-n1 "
                + "carried the pods' traffic, the cloud node relayed it):\n\n");
        b.append(memory);
        return b.toString();
    }

    private void table(StringBuilder b, Config c) {
        b.append("### ").append(c.label()).append("\n\n");
        b.append("| system | Mbit/s | runs Mbit/s | retransmits | carried to its end | WAN lost (packets, %) | RTT ms "
                + "(idle, no loss) | vs nebula | notes |\n|---|---|---|---|---|---|---|---|---|\n");
        double nebula = subjects.get(0).mean(c);
        for (Subject s : subjects) {
            List<String> mbit = new ArrayList<>();
            List<String> rtx = new ArrayList<>();
            List<String> ends = new ArrayList<>();
            List<String> lost = new ArrayList<>();
            List<String> notes = new ArrayList<>();
            for (Run r : s.runs(c)) {
                mbit.add(r.failure() == null ? String.format(Locale.ROOT, "%.1f", r.mbit()) : "failed");
                rtx.add(r.failure() == null ? Long.toString(r.retransmits()) : "-");
                ends.add(r.toTheEnd());
                lost.add(String.format(Locale.ROOT, "%d of %d (%s)", r.wanLost(), r.wanSeen(),
                        percent(share(r.wanLost(), r.wanSeen()))));
                String n = (r.failure() == null ? "" : r.failure() + (r.notes().isEmpty() ? "" : "; "))
                        + r.notes();
                notes.add(n.isEmpty() ? "" : "run " + (notes.size() + 1) + ": " + n);
            }
            double mean = s.mean(c);
            long reported = s.runs(c).stream().filter(r -> r.failure() == null).count();
            String meanCell = Double.isNaN(mean) ? "-" : String.format(Locale.ROOT, "%.1f", mean)
                    + (reported == s.runs(c).size() ? "" : " (" + reported + " of " + s.runs(c).size() + " runs)");
            b.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |%n", s.name,
                    meanCell, String.join(", ", mbit),
                    String.join(", ", rtx), String.join("; ", ends), String.join("; ", lost),
                    Double.isNaN(s.rtt) ? "-" : String.format(Locale.ROOT, "%.1f", s.rtt),
                    s == subjects.get(0) || Double.isNaN(mean) || Double.isNaN(nebula) ? "" : String.format(
                    Locale.ROOT, "%.2fx", mean / nebula), SitesBench.cell(String.join(" ", notes.stream()
                    .filter(x -> !x.isEmpty()).toList()))));
        }
        b.append('\n');
    }

    /** One line: did every run carry traffic to its end, and which did not. */
    private String verdict() {
        List<String> failed = new ArrayList<>();
        int total = 0;
        for (Subject s : subjects) {
            for (Map.Entry<Config, List<Run>> e : s.runs.entrySet()) {
                for (int i = 0; i < e.getValue().size(); i++) {
                    total++;
                    if (!e.getValue().get(i).carried()) {
                        failed.add(s.tag + " (" + e.getKey().label() + ", run " + (i + 1) + ")");
                    }
                }
            }
        }
        return failed.isEmpty() ? String.format(Locale.ROOT, "All %d runs carried traffic to their end.%n%n", total)
                : String.format(Locale.ROOT, "%d of %d runs did not carry traffic to their end: %s.%n%n",
                failed.size(), total, String.join(", ", failed));
    }

    private static double share(long part, long whole) {
        return whole == 0 ? 0 : 100.0 * part / whole;
    }

    private static String percent(double p) {
        return p == Math.rint(p) ? String.format(Locale.ROOT, "%.0f", p) : String.format(Locale.ROOT, "%.2f", p);
    }

    private static void progress(String format, Object... args) {
        System.err.printf("bench-wan: " + format + "%n", args);
    }
}
