package dev.edgelink.lab.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.edgelink.dataplane.path.probe.UdpEchoResponder;
import dev.edgelink.lab.ExecResult;
import dev.edgelink.lab.Lab;
import dev.edgelink.lab.LabException;
import dev.edgelink.lab.LabProcess;
import dev.edgelink.lab.Node;
import dev.edgelink.lab.Router;
import dev.edgelink.lab.Segment;
import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Issue 10's data plane scale benchmark ({@code scripts/bench-scale.sh dataplane}): one real agent
 * ({@code bin/edgelink agent}, so with the JVM options it ships) in a network namespace with N static peers, for
 * each N of {@link #SIZES}. The lab is {@link ScaleFleet}'s: every peer offers hostgw, ipip and vxlan; the answered
 * share ({@link #ANSWERED_PERCENT}) lives on the agent's segment in a responder namespace whose probe echoes
 * ({@link UdpEchoResponder}, one per tunnel address, run by this JVM inside that namespace) make hostgw verify; the
 * others are across a router that drops their packets, so their trials fail and they stay FAILED, retried with
 * backoff, as peers behind NATs would without a userspace path.
 *
 * <p>Per N, from the agent's spawn: its "agent started" and "peer view ready" lines and the time every answered
 * peer's pod route is in the kernel (polled every {@link #POLL}); then, after {@link #SETTLE}, a window of
 * {@link #WINDOW} in which it measures the agent's CPU (its own, its data plane thread's and its reaped children's,
 * from {@code /proc}) per data plane round, probe packets sent and echoes received (an nft counter in the agent's
 * namespace), requests answered, route changes ({@code ip monitor route}) and nft calls per second; at its end the
 * kernel objects, VmRSS and VmHWM, the peers' states and whether the data plane stalled.
 *
 * <p>Rounds: the agent does not count them today. The harness reads {@value #ROUNDS_METRIC} from {@code /metrics}
 * when the agent has it, else counts the reads of the per-peer counters that end every round
 * ({@link NftCallLog}: an nft wrapper on the agent's PATH logs its calls), else assumes one per default probe
 * interval (and says so). Static peers are read once at start, so a single peer's arrival or departure cannot be
 * timed here: arrival is all N at start.
 *
 * <p>Every size runs in a lab of its own ({@link Lab}: namespaces with a unique prefix, processes by PID), torn down
 * also on failure; a size that fails says why in its row and the next one runs. Prints progress on stderr, then the
 * table, the goals and one JSON line per size on stdout; exits 1 when a size could not be measured.
 */
public final class DataplaneScaleBench {
    /** The sizes (system property {@code edgelink.bench.peers}, numbers separated by spaces or commas). */
    static final List<Integer> SIZES = sizes(System.getProperty("edgelink.bench.peers", "100 1000 5000"));
    static final int ANSWERED_PERCENT = Integer.getInteger("edgelink.bench.answeredPercent", 10);
    static final Duration WINDOW = Duration.ofSeconds(Long.getLong("edgelink.bench.windowSeconds", 60));
    static final Duration SETTLE = Duration.ofSeconds(Long.getLong("edgelink.bench.settleSeconds", 10));
    /** How long the agent may take to print "agent started" and "peer view ready" (a JVM on a busy 2-vCPU box). */
    static final Duration START_WAIT = Duration.ofSeconds(120);
    /** How long the answered peers' routes may take after "peer view ready" before the run goes on without. */
    static final Duration ROUTES_WAIT = Duration.ofSeconds(90);
    static final Duration POLL = Duration.ofMillis(100);
    /** The round counter the harness uses when the agent exports it. */
    static final String ROUNDS_METRIC = "edgelink_dataplane_rounds_total";
    /** The data plane thread's name as the kernel keeps it (15 characters of "edgelink-dataplane..."). */
    static final String DATAPLANE_THREAD = "edgelink-datapl";
    /** The agent's default {@code timeouts.probeInterval}: a round starts at most this often. */
    static final Duration PROBE_INTERVAL = Duration.ofMillis(300);
    static final String BENCH_TABLE = "el_bench";
    /** How often the kernel objects are counted in the window (their peak is reported next to the final count). */
    static final Duration KERNEL_EVERY = Duration.ofSeconds(5);
    /** How often the responders' counts are sampled in the window (the resolution of an echo silence). */
    static final Duration ECHO_SAMPLE = Duration.ofMillis(100);
    /** An answered peer without a probe this long means the data plane loop stopped (a round is 0.3-1 s). */
    static final Duration STALL = Duration.ofSeconds(5);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration HTTP_TIMEOUT = Duration.ofSeconds(20);

    private final Lab lab;
    private final ScaleFleet fleet;
    private final Path root;
    private final List<UdpEchoResponder> echoes = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private Node agentNode;
    private Node responder;
    private LabProcess agent;
    private LabProcess monitor;
    private Path nftLog;
    private long spawnNanos;
    private ScaleResult.Startup startup = ScaleResult.Startup.NONE;

    /** What one end of the window read. */
    private record Snap(ProcSample proc, double epochS, long probesOut, long echoesIn, long answered,
            long monitorLines, double roundsMetric, double agentProbes) {
    }

    /**
     * Rounds in the window (NaN when only bounds are known), their bounds, how they were counted, and the round
     * period (median, longest), NaN when unknown.
     */
    record RoundCount(double rounds, double low, double high, String source, double medianS, double maxS) {
        static final RoundCount NONE = new RoundCount(Double.NaN, Double.NaN, Double.NaN, "none", Double.NaN,
                Double.NaN);
    }

    private DataplaneScaleBench(Lab lab, ScaleFleet fleet, Path root) {
        this.lab = lab;
        this.fleet = fleet;
        this.root = root;
    }

    public static void main(String[] args) throws IOException {
        Path root = Path.of(System.getProperty("edgelink.root", ".")).toAbsolutePath().normalize();
        String began = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        List<ScaleResult> results = new ArrayList<>();
        for (int n : SIZES) {
            ScaleResult r = runOne(root, n);
            results.add(r);
            progress("%d peers: %s", n, ScaleReport.json(r));
        }
        System.out.printf(Locale.ROOT, "DataplaneScaleBench %s UTC, commit %s; %d vCPUs; one agent (bin/edgelink "
                + "agent, the JVM options it ships: %s); %d %% of the peers answered; a window of %d s, %d s after "
                + "the answered peers' routes.%n%n", began, System.getProperty("edgelink.bench.commit", "unknown"),
                Runtime.getRuntime().availableProcessors(), String.join(" ", Bench.shippedAgentOptions()),
                ANSWERED_PERCENT, WINDOW.toSeconds(), SETTLE.toSeconds());
        System.out.println(ScaleReport.table(results));
        results.forEach(r -> System.out.println(ScaleReport.json(r)));
        System.exit(results.stream().allMatch(r -> !Double.isNaN(r.cpu().windowS())) ? 0 : 1);
    }

    /** One size in a lab of its own; a failure becomes the result's {@code failure}. */
    static ScaleResult runOne(Path root, int peers) {
        ScaleFleet fleet = new ScaleFleet(peers, ANSWERED_PERCENT);
        String loadStart = load();
        Lab lab = Lab.open();
        DataplaneScaleBench b = new DataplaneScaleBench(lab, fleet, root);
        try {
            progress("%d peers: lab %s", peers, lab.id());
            return b.run(loadStart);
        } catch (IOException | RuntimeException e) {
            progress("%d peers failed: %s", peers, e.getMessage());
            String why = SitesBench.firstLine(e.getMessage());
            return b.agent == null ? ScaleResult.failed(peers, fleet.answered().size(), why, loadStart + " -> "
                    + load()) : b.partial(why, loadStart);
        } finally {
            b.echoes.forEach(UdpEchoResponder::close);
            try {
                lab.close();
            } catch (RuntimeException e) {
                progress("%d peers: teardown: %s", peers, e.getMessage());
            }
        }
    }

    private ScaleResult run(String loadStart) throws IOException {
        build();
        startEchoes();
        monitor = agentNode.spawn("route-monitor", "ip", "-o", "monitor", "route");
        nftLog = lab.dir().resolve("nft-calls.log");
        Path wrapDir = NftCallLog.install(lab.dir().resolve("nft-wrapper"), nftLog);
        Path cfg = lab.dir().resolve("agent.yaml");
        Files.writeString(cfg, fleet.agentConfig(lab.dir().resolve("state"), lab.dir().resolve("cni.sock")),
                StandardCharsets.UTF_8);
        spawnNanos = System.nanoTime();
        agent = agentNode.spawn("agent", "env", "-u", "EDGELINK_JAVA_OPTS", "PATH=" + wrapDir + File.pathSeparator
                + System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"),
                root.resolve("bin/edgelink").toString(), "agent", "--config", cfg.toString());
        startup = awaitStartup();
        progress("%d peers: started %.2f s, peers ready %.2f s, %d of %d answered peers' routes %.2f s after the "
                + "spawn", fleet.peers(), startup.startedS(), startup.readyS(), startup.podRoutesSeen(),
                fleet.answered().size(), startup.podRoutesS());
        pause(SETTLE);
        Snap a = snap(null);
        EchoWatch echoWatch = new EchoWatch(System.nanoTime(), echoCounts());
        Thread sampler = new Thread(() -> sampleEchoes(echoWatch), "bench-scale-echoes");
        sampler.setDaemon(true);
        sampler.start();
        KernelCounts peak;
        try {
            peak = watch(WINDOW);
        } finally {
            sampler.interrupt();
        }
        EchoWatch.Summary echoed = echoWatch.finish(System.nanoTime(), echoCounts());
        Snap b = snap(a);
        return result(startup, a, b, peak, echoed, loadStart + " -> " + load());
    }

    // ------------------------------------------------------------------------------------------- the lab

    /** The segment, the agent's node, the router that drops the unanswered underlays, the responder's node. */
    private void build() throws IOException {
        Segment lan = lab.segment("lan", ScaleFleet.LAN);
        agentNode = lab.node("agent");
        agentNode.attach(lan, ScaleFleet.AGENT_UNDERLAY);
        Router rtr = lab.router("rtr");
        rtr.attach(lan, ScaleFleet.ROUTER_LAN);
        rtr.exec("ip", "route", "add", "blackhole", ScaleFleet.DEAD_UNDERLAYS).check();
        agentNode.defaultRoute(ScaleFleet.ROUTER_LAN);
        responder = lab.node("resp");
        responder.attach(lan, ScaleFleet.RESPONDER_UNDERLAY);
        Path batch = lab.dir().resolve("responder.ip");
        Files.write(batch, fleet.responderAddresses("eth0"), StandardCharsets.UTF_8);
        responder.exec(Duration.ofMinutes(2), "ip", "-b", batch.toString()).check();
        Path rules = lab.dir().resolve("bench.nft");
        Files.writeString(rules, "table inet " + BENCH_TABLE + " {\n"
                + "  counter probes_out { }\n  counter echoes_in { }\n"
                + "  chain out { type filter hook output priority 0; policy accept; "
                + "udp dport " + UdpEchoResponder.DEFAULT_PORT + " counter name \"probes_out\"; }\n"
                + "  chain in { type filter hook input priority 0; policy accept; "
                + "udp sport " + UdpEchoResponder.DEFAULT_PORT + " counter name \"echoes_in\"; }\n"
                + "}\n", StandardCharsets.UTF_8);
        agentNode.exec("nft", "-f", rules.toString()).check();
    }

    /** Each answered peer's responder's count so far, in {@link ScaleFleet#answered()} order. */
    private long[] echoCounts() {
        return echoes.stream().mapToLong(UdpEchoResponder::answered).toArray();
    }

    /** Samples the responders' counts every {@link #ECHO_SAMPLE} until interrupted. */
    private void sampleEchoes(EchoWatch watch) {
        while (!Thread.currentThread().isInterrupted()) {
            watch.sample(System.nanoTime(), echoCounts());
            try {
                Thread.sleep(ECHO_SAMPLE.toMillis());
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** One responder per answered peer, bound to its tunnel address inside the responder's namespace. */
    private void startEchoes() throws IOException {
        Path ns = Path.of("/run/netns", responder.netns());
        for (ScaleFleet.Peer p : fleet.answered()) {
            echoes.add(UdpEchoResponder.start(ns, InetAddress.getByName(p.tunnelAddress()),
                    UdpEchoResponder.DEFAULT_PORT));
        }
    }

    // ------------------------------------------------------------------------------------------- start

    /**
     * Polls the agent's log and the kernel's routes until every answered peer's pod route is there (or
     * {@link #ROUTES_WAIT} after "peer view ready"); fails when the agent exits or does not get ready in time.
     */
    private ScaleResult.Startup awaitStartup() {
        Set<String> want = new HashSet<>();
        fleet.answered().forEach(p -> want.add(p.podCidr() + " via " + p.underlay()));
        double started = Double.NaN;
        double ready = Double.NaN;
        int seen = 0;
        while (true) {
            String log = agent.stderr();
            if (Double.isNaN(started) && log.contains("agent started (")) {
                started = since(spawnNanos);
            }
            if (Double.isNaN(ready) && log.contains("peer view ready")) {
                ready = since(spawnNanos);
            }
            if (!Double.isNaN(ready)) {
                seen = podRoutes(want);
                if (seen == want.size()) {
                    double cpu = ProcSample.read(agent.pid()).map(s -> s.cpuTicks() / (double) ProcSample.CLOCK_TICKS)
                            .orElse(Double.NaN);
                    return new ScaleResult.Startup(started, ready, since(spawnNanos), seen, cpu);
                }
                if (since(spawnNanos) - ready > ROUTES_WAIT.toSeconds()) {
                    notes.add(seen + " of " + want.size() + " answered peers' routes " + ROUTES_WAIT.toSeconds()
                            + " s after the peers were ready; measured without the rest");
                    return new ScaleResult.Startup(started, ready, Double.NaN, seen, Double.NaN);
                }
            } else if (since(spawnNanos) > START_WAIT.toSeconds()) {
                throw new LabException("the agent did not log \"peer view ready\" within " + START_WAIT.toSeconds()
                        + " s" + tail());
            }
            if (!agent.alive()) {
                throw new LabException("the agent exited " + agent.exitCode().orElse(-1) + " while starting" + tail());
            }
            Bench.sleep(POLL.toMillis());
        }
    }

    /** How many of {@code want} ("CIDR via GATEWAY") the agent's routes hold. */
    private int podRoutes(Set<String> want) {
        if (want.isEmpty()) {
            return 0;
        }
        int n = 0;
        for (String line : agentNode.exec("ip", "-4", "route", "show", "proto", "69").check().stdout().split("\n")) {
            String[] w = line.strip().split(" ");
            if (w.length >= 3 && want.contains(w[0] + " " + w[1] + " " + w[2])) {
                n++;
            }
        }
        return n;
    }

    // ------------------------------------------------------------------------------------------- the window

    /**
     * One end of the window. At the start the agent's {@code /metrics} is fetched before {@code /proc} is read, at
     * the end after, so that serving it falls outside the window.
     */
    private Snap snap(Snap start) throws IOException {
        double[] metrics = start == null ? metrics() : null;
        long[] nft = benchCounters();
        long answered = echoes.stream().mapToLong(UdpEchoResponder::answered).sum();
        long lines = lineCount(monitor.stdoutFile());
        double epoch = Instant.now().toEpochMilli() / 1000.0;
        ProcSample proc = ProcSample.read(agent.pid()).orElseThrow(() -> new LabException("the agent exited "
                + agent.exitCode().orElse(-1) + " before the window" + (start == null ? " started" : " ended")
                + tail()));
        if (metrics == null) {
            metrics = Double.isNaN(start.roundsMetric()) && Double.isNaN(start.agentProbes())
                    ? new double[] {Double.NaN, Double.NaN} : metrics();
        }
        return new Snap(proc, epoch, nft[0], nft[1], answered, lines, metrics[0], metrics[1]);
    }

    /** {@value #ROUNDS_METRIC} (NaN when the agent has no such metric) and the probes the agent counted. */
    private double[] metrics() {
        ExecResult r = agentNode.exec(HTTP_TIMEOUT, "busybox", "wget", "-q", "-O", "-",
                "http://127.0.0.1:9473/metrics");
        if (!r.ok()) {
            notes.add("GET /metrics failed: " + SitesBench.firstLine(r.describe()));
            return new double[] {Double.NaN, Double.NaN};
        }
        String m = r.stdout();
        double rounds = m.contains(ROUNDS_METRIC) ? EdgelinkCluster.metricSum(m, ROUNDS_METRIC, "") : Double.NaN;
        return new double[] {rounds, EdgelinkCluster.metricSum(m, "edgelink_path_probes_total", "")};
    }

    /** The bench table's counters in the agent's namespace: probes sent, echoes received (packets). */
    private long[] benchCounters() throws IOException {
        String out = agentNode.exec("nft", "-j", "list", "table", "inet", BENCH_TABLE).check().stdout();
        long probes = -1;
        long echoed = -1;
        for (JsonNode o : JSON.readTree(out).path("nftables")) {
            JsonNode c = o.path("counter");
            if ("probes_out".equals(c.path("name").asText())) {
                probes = c.path("packets").asLong();
            } else if ("echoes_in".equals(c.path("name").asText())) {
                echoed = c.path("packets").asLong();
            }
        }
        return new long[] {probes, echoed};
    }

    /**
     * Waits out the window, counting the kernel objects every {@link #KERNEL_EVERY}; returns the largest counts
     * seen (the peers that do not answer move between trials in step, so one count at the end can miss them).
     */
    private KernelCounts watch(Duration window) {
        long end = System.nanoTime() + window.toNanos();
        KernelCounts peak = null;
        while (System.nanoTime() < end) {
            pause(Duration.ofNanos(Math.min(KERNEL_EVERY.toNanos(), end - System.nanoTime())));
            if (System.nanoTime() < end) {
                peak = kernel().max(peak);
            }
        }
        return peak;
    }

    /** Sleeps {@code d}, failing as soon as the agent has exited. */
    private void pause(Duration d) {
        long end = System.nanoTime() + d.toNanos();
        while (System.nanoTime() < end) {
            if (!agent.alive()) {
                throw new LabException("the agent exited " + agent.exitCode().orElse(-1) + tail());
            }
            Bench.sleep(Math.min(500, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
        }
    }

    // ------------------------------------------------------------------------------------------- the result

    private ScaleResult result(ScaleResult.Startup startup, Snap a, Snap b, KernelCounts peak,
            EchoWatch.Summary echoed, String load) throws IOException {
        double w = (b.proc().nanoTime() - a.proc().nanoTime()) / 1e9;
        List<NftCallLog.Call> calls = NftCallLog.parse(Files.readString(nftLog));
        RoundCount rc = countRounds(new double[] {a.epochS(), b.epochS(), w}, b.roundsMetric() - a.roundsMetric(),
                NftCallLog.roundEnds(calls), echoed.echoed() == 0 ? 0 : echoed.roundsAtLeast(),
                echoed.roundsAtMost());
        ScaleResult.Cpu cpu = new ScaleResult.Cpu(w, rc.rounds(), rc.low(), rc.high(), rc.source(), rc.medianS(),
                rc.maxS(), ms(b.proc().cpuTicks() - a.proc().cpuTicks()),
                ms(b.proc().threadTicks(DATAPLANE_THREAD) - a.proc().threadTicks(DATAPLANE_THREAD)),
                ms(b.proc().childTicks() - a.proc().childTicks()), ProcSample.threadMillis(a.proc(), b.proc()));
        long nftCalls = calls.stream().filter(c -> c.epochSeconds() >= a.epochS() && c.epochSeconds() < b.epochS())
                .count();
        ScaleResult.Traffic traffic = new ScaleResult.Traffic((b.probesOut() - a.probesOut()) / w,
                (b.echoesIn() - a.echoesIn()) / w, (b.answered() - a.answered()) / w,
                (b.agentProbes() - a.agentProbes()) / w, nftCalls / w, (b.monitorLines() - a.monitorLines()) / w,
                echoed.maxSilenceS(), echoed.medianSilenceS());
        ScaleResult.Memory memory = new ScaleResult.Memory(b.proc().rssKib() / 1024.0, b.proc().hwmKib() / 1024.0,
                b.proc().threads().size());
        if (NftCallLog.roundEnds(calls).isEmpty()) {
            notes.add("the agent has not read its per-peer counters (nft list table ip edgelink_peers) since it "
                    + "started");
        }
        if (echoed.echoed() < fleet.answered().size()) {
            notes.add((fleet.answered().size() - echoed.echoed()) + " of " + fleet.answered().size()
                    + " answered peers were not probed in the window");
        }
        ScaleResult.Health health = health(rc, echoed.maxSilenceS(), echoed.echoed() == 0
                && !fleet.answered().isEmpty());
        progress("%d peers: rounds %.1f [%.0f, %.0f] (%s), %.0f ms agent CPU in the window, %.0f probes/s, longest "
                + "echo silence %.1f s; %s", fleet.peers(), rc.rounds(), rc.low(), rc.high(), rc.source(),
                cpu.agentMs(), traffic.probesPerS(), echoed.maxSilenceS(), health.stallLines());
        KernelCounts last = kernel();
        return new ScaleResult(fleet.peers(), fleet.answered().size(), null, startup, cpu, traffic, last,
                last.max(peak), memory, health, load, List.copyOf(notes));
    }

    /**
     * Rounds in the window ({@code window}: its start and end in epoch seconds, and its length): the agent's own count
     * ({@code metricDelta}) when it has one; else from the round ends the nft reads mark (the window over their mean
     * period, or their number when fewer than two), if that lies within the bounds the probe echoes set
     * ({@code low}..{@code high}, see {@link EchoWatch}; {@code low} 0 when no peer echoed) with some slack; else
     * only those bounds; else not counted. The period's median and longest come from the round ends, the longest
     * counting the open gaps at both edges of the window (a loop stuck for the whole window has one round end before
     * it and none in it).
     */
    static RoundCount countRounds(double[] window, double metricDelta, List<Double> ends, long low, long high) {
        double startS = window[0];
        double endS = window[1];
        List<Double> in = ends.stream().filter(t -> t >= startS && t <= endS).toList();
        List<Double> periods = new ArrayList<>();
        for (int i = 1; i < in.size(); i++) {
            periods.add(in.get(i) - in.get(i - 1));
        }
        List<Double> gaps = new ArrayList<>(periods);
        double before = ends.stream().filter(t -> t < startS).mapToDouble(Double::doubleValue).max().orElse(startS);
        gaps.add((in.isEmpty() ? endS : in.get(0)) - before);
        if (!in.isEmpty()) {
            gaps.add(endS - in.get(in.size() - 1));
        }
        double median = periods.isEmpty() ? Double.NaN : Bench.median(periods);
        double max = ends.isEmpty() ? Double.NaN : gaps.stream().mapToDouble(Double::doubleValue).max().orElse(0);
        if (!Double.isNaN(metricDelta)) {
            return new RoundCount(metricDelta, metricDelta, metricDelta, "agent metric", median, max);
        }
        String fromReads = "";
        if (!ends.isEmpty()) {
            double r = in.size() >= 2 ? window[2] / ((in.get(in.size() - 1) - in.get(0)) / (in.size() - 1))
                    : in.size();
            if (low == 0 || (r >= 0.8 * low - 1 && r <= 1.2 * high + 1)) {
                return new RoundCount(r, r, r, "nft reads", median, max);
            }
            fromReads = String.format(Locale.ROOT, "; nft reads say %.1f, not one a round", r);
        }
        if (low > 0) {
            return new RoundCount(Double.NaN, low, high, "probe echoes" + fromReads, Double.NaN, Double.NaN);
        }
        return new RoundCount(Double.NaN, Double.NaN, Double.NaN, "not counted", Double.NaN, Double.NaN);
    }

    /**
     * Stall lines and warnings from the agent's log, its exit, and its peers' states and paths; {@code unprobed}: no
     * answered peer got a probe in the window (the loop did not get to probing at all).
     */
    private ScaleResult.Health health(RoundCount rc, double echoSilenceS, boolean unprobed) {
        String log = agent.stderr();
        Set<String> stalls = new LinkedHashSet<>();
        for (String line : log.split("\n")) {
            if (line.contains("did not finish")) {
                stalls.add(line.length() > 300 ? line.substring(0, 300) + "..." : line);
            }
        }
        TreeMap<String, Integer> states = new TreeMap<>();
        TreeMap<String, Integer> paths = new TreeMap<>();
        ExecResult r = agentNode.exec(HTTP_TIMEOUT, "busybox", "wget", "-q", "-O", "-", "http://127.0.0.1:9473/status");
        if (r.ok()) {
            try {
                for (JsonNode p : JSON.readTree(r.stdout()).path("peers")) {
                    states.merge(p.path("state").asText(), 1, Integer::sum);
                    paths.merge(p.path("path").isNull() ? "none" : p.path("path").asText(), 1, Integer::sum);
                }
            } catch (IOException e) {
                notes.add("GET /status gave no JSON: " + e.getMessage());
            }
        } else {
            notes.add("GET /status failed: exit " + r.exitCode() + (r.timedOut() ? " (timed out)" : "") + ", "
                    + SitesBench.firstLine(r.stderr()));
        }
        boolean stalled = !stalls.isEmpty() || rc.rounds() == 0 || rc.maxS() >= STALL.toSeconds()
                || echoSilenceS >= STALL.toSeconds() || unprobed;
        return new ScaleResult.Health(stalled, List.copyOf(stalls), warnings(log), agent.exitCode().orElse(null),
                states, paths);
    }

    /**
     * The agent's WARN and ERROR lines grouped by message with every number as {@code #} (so one line per peer counts
     * as one kind), the most frequent first: "COUNT x LEVEL LOGGER - MESSAGE", at most {@code 5}.
     */
    static List<String> warnings(String log) {
        Map<String, Integer> kinds = new LinkedHashMap<>();
        for (String line : log.split("\n")) {
            int level = Math.max(line.indexOf(" WARN "), line.indexOf(" ERROR "));
            if (level >= 0) {
                String kind = line.substring(level + 1).replaceAll("\\d+", "#");
                kinds.merge(kind.length() > 240 ? kind.substring(0, 240) + "..." : kind, 1, Integer::sum);
            }
        }
        return kinds.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
                .limit(5).map(e -> e.getValue() + " x " + e.getKey()).toList();
    }

    private KernelCounts kernel() {
        String routes = agentNode.exec("ip", "-4", "route", "show", "table", "main").check().stdout();
        String neigh = agentNode.exec("ip", "-4", "neigh", "show").check().stdout();
        ExecResult fdb = agentNode.exec("bridge", "fdb", "show", "dev", "edgelink.vxlan");
        return KernelCounts.of(routes, neigh, fdb.ok() ? fdb.stdout() : "");
    }

    /** What a run that failed after the agent's spawn got: its health and memory, if the agent is still there. */
    private ScaleResult partial(String why, String loadStart) {
        ScaleResult.Memory memory = ProcSample.read(agent.pid()).map(p -> new ScaleResult.Memory(p.rssKib() / 1024.0,
                p.hwmKib() / 1024.0, p.threads().size())).orElse(ScaleResult.Memory.NONE);
        ScaleResult.Health health;
        try {
            health = health(RoundCount.NONE, Double.NaN, false);
        } catch (RuntimeException e) {
            health = ScaleResult.Health.NONE;
        }
        return new ScaleResult(fleet.peers(), fleet.answered().size(), why, startup, ScaleResult.Cpu.NONE,
                ScaleResult.Traffic.NONE, null, null, memory, health, loadStart + " -> " + load(), List.copyOf(notes));
    }

    // ------------------------------------------------------------------------------------------- helpers

    static List<Integer> sizes(String text) {
        List<Integer> out = new ArrayList<>();
        for (String s : text.trim().split("[\\s,]+")) {
            if (!s.isEmpty()) {
                out.add(Integer.parseInt(s));
            }
        }
        return List.copyOf(out);
    }

    private static long lineCount(Path file) throws IOException {
        if (!Files.exists(file)) {
            return 0;
        }
        try (var lines = Files.lines(file, StandardCharsets.UTF_8)) {
            return lines.count();
        }
    }

    private String tail() {
        String[] lines = agent == null ? new String[0] : agent.stderr().split("\n");
        return "\n--- agent log (tail) ---\n" + String.join("\n",
                List.of(lines).subList(Math.max(0, lines.length - 20), lines.length));
    }

    private static double ms(long ticks) {
        return ticks * 1000.0 / ProcSample.CLOCK_TICKS;
    }

    private static double since(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    private static String load() {
        try {
            return SitesBench.loadAverage();
        } catch (IOException e) {
            return "?";
        }
    }

    private static void progress(String format, Object... args) {
        System.err.printf(Locale.ROOT, "bench-scale: " + format + "%n", args);
    }
}
