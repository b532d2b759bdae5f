package dev.edgelink.lab.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgelink.lab.Lab;
import dev.edgelink.lab.LabException;
import dev.edgelink.lab.NatMode;
import dev.edgelink.lab.Node;
import dev.edgelink.lab.Topologies;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.ToDoubleFunction;

/**
 * Issue 9's join benchmark ({@code scripts/bench-join.sh}): how long a new node takes to become reachable in the
 * sites suite's cluster, so that the cost of the cluster CA (a certificate checked on every node record, revocation
 * lists, exchanges sized for certified records) can be compared with the code before it. The same source compiles
 * against the harness with a CA (every member certified) and the one before it (no CA): it uses only what both have.
 *
 * <p>The cluster is {@code SitesClusterE2eTest}'s: {@link Topologies#sitesTwoRelays} (both NATs port-preserving),
 * the cloud node and relay2 relay servers with a named underlay, the four site nodes labelled with their site and
 * given both relays, a-n2 and b-n2 on port 4002. All but b-n2 are started and left to converge (every pair ACTIVE,
 * the cross-site pairs given time to go direct). Then, {@link #ROUNDS} times, b-n2's agent is spawned and measured:
 *
 * <ul>
 *   <li>started: spawn -> its "agent started" log line;</li>
 *   <li>reachable: spawn -> b-n2's {@code GET /status} shows every other node ACTIVE and every other node's shows
 *       b-n2 ACTIVE (each node polled every {@link #POLL}, all six in parallel, as
 *       {@link EdgelinkCluster#awaitActive} polls; a node's time is the end of the first poll that showed it).</li>
 * </ul>
 *
 * <p>Between rounds b-n2 is stopped with SIGTERM ({@link EdgelinkCluster#stop}: it announces its leave, and the
 * others drop it at once), every other node is waited on until its status no longer lists b-n2, and then until the
 * leave's tombstone record has expired everywhere ({@link #TOMBSTONE_WAIT}), so that each round starts as the first
 * one did: no member holds any record of b-n2. A kill -9 would leave its live record and its connections to time out
 * on the others, an ending that depends on where their timers stood. b-n2 keeps its key and state directory, as a
 * restarted node does. Nothing fails the run: a round that does not get there says why. Prints the rounds, the
 * medians and the machine's facts on stdout (progress on stderr).
 */
public final class JoinBench {
    static final String JOINER = "b-n2";
    /** Rounds (system property {@code edgelink.bench.rounds}; 5 unless told). */
    static final int ROUNDS = Integer.getInteger("edgelink.bench.rounds", 5);
    /** The agents' JVM: "shipped" ({@code bin/agent.jvm-options}, as deployed) or "defaults" (as the e2e suites). */
    static final String JVM = System.getProperty("edgelink.bench.jvm", "shipped");
    static final Duration POLL = Duration.ofMillis(100);
    /** How long one agent may take to print "agent started": JVMs starting on a busy 2-vCPU machine are slow. */
    static final Duration START_WAIT = Duration.ofSeconds(180);
    /** How long b-n2 and the others may take to see each other ACTIVE, from the spawn. */
    static final Duration REACH_WAIT = Duration.ofSeconds(120);
    /** How long the first five may take to see each other ACTIVE. */
    static final Duration CONVERGE = Duration.ofSeconds(120);
    /** How long the cross-site pairs of the first five are given to go direct before a round (no punch running). */
    static final Duration DIRECT_WAIT = Duration.ofSeconds(60);
    /** How long the others may take to drop b-n2 after its leave. */
    static final Duration FORGET_WAIT = Duration.ofSeconds(60);
    /** A leave's tombstone lives one record TTL; the stores sweep expired records every second. */
    static final Duration TOMBSTONE_WAIT = EdgelinkCluster.RECORD_TTL.plusSeconds(2);
    /** {@code getconf CLK_TCK} on Linux: the unit of the CPU times in {@code /proc/PID/stat}. */
    static final int CLOCK_TICKS = 100;

    private final EdgelinkCluster cluster;
    private final Topologies.Sites sites;
    private final EdgelinkCluster.Member joiner;
    private final List<EdgelinkCluster.Member> others;

    /**
     * One round: seconds from the spawn ({@code NaN}: not seen), who saw it last, b-n2's paths, the CPU seconds b-n2's
     * agent and the other five agents used from the spawn to the end of the round, notes.
     */
    record Round(int number, double harnessMs, double startedS, double joinerSeesAllS, double allSeeJoinerS,
            String lastObserver, String paths, double joinerCpuS, double othersCpuS, String load, String note) {
        double reachableS() {
            return Math.max(joinerSeesAllS, allSeeJoinerS);
        }

        boolean complete() {
            return !Double.isNaN(startedS) && !Double.isNaN(reachableS());
        }
    }

    /** What one node's poller saw: seconds from the spawn to the first status that met its condition, or why not. */
    record Sight(String observer, double seconds, String paths, String failure) {
    }

    private JoinBench(EdgelinkCluster cluster, Topologies.Sites sites) {
        this.cluster = cluster;
        this.sites = sites;
        this.joiner = cluster.member(sites.b2());
        List<EdgelinkCluster.Member> rest = new ArrayList<>(cluster.members());
        rest.remove(joiner);
        this.others = List.copyOf(rest);
    }

    public static void main(String[] args) throws Exception {
        Lab lab = Lab.open();
        EdgelinkCluster cluster = null;
        int complete = 0;
        try {
            Topologies.SitesTwoRelays t = Topologies.sitesTwoRelays(lab, NatMode.PRESERVE, NatMode.PRESERVE);
            Topologies.Sites s = t.sites();
            cluster = EdgelinkCluster.create(lab, List.of(s.cloud(), t.relay2(), s.a1(), s.a2(), s.b1(), s.b2()),
                    EdgelinkCluster.runningClasspath());
            EdgelinkCluster c = cluster;
            Runtime.getRuntime().addShutdownHook(new Thread(c::close, "bench-join-teardown"));
            complete = new JoinBench(cluster, s).run(t);
        } finally {
            if (cluster != null) {
                cluster.close();
            } else {
                lab.close();
            }
        }
        System.exit(complete > 0 ? 0 : 1);
    }

    /** Starts the first five, measures the rounds, prints them; returns how many rounds completed. */
    private int run(Topologies.SitesTwoRelays t) throws IOException {
        String loadStart = SitesBench.loadAverage();
        Instant began = Instant.now();
        startOthers(t);
        String converged = steady();
        List<Round> rounds = new ArrayList<>();
        for (int i = 1; i <= ROUNDS; i++) {
            if (i > 1) {
                String left = leave();
                String again = steady();
                if (!left.isEmpty() || !again.isEmpty()) {
                    progress("before round %d: %s %s", i, left, again);
                }
            }
            Round r = round(i);
            rounds.add(r);
            progress("round %d: started %.2f s, reachable %.2f s (b-n2 sees all %.2f s, all see b-n2 %.2f s) %s",
                    i, r.startedS(), r.reachableS(), r.joinerSeesAllS(), r.allSeeJoinerS(), r.note());
        }
        boolean ca = Files.readString(cluster.member(sites.cloud()).configFile()).lines()
                .anyMatch(l -> l.startsWith("trust:"));
        System.out.println(report(rounds, ca, began, loadStart + " at the start, " + SitesBench.loadAverage()
                + " at the end", converged));
        return (int) rounds.stream().filter(Round::complete).count();
    }

    /** The relays first (their peer ids go into the site nodes' configs), then a-n1, a-n2 and b-n1. */
    private void startOthers(Topologies.SitesTwoRelays t) throws IOException {
        List<String> jvm = "defaults".equals(JVM) ? List.of() : Bench.shippedAgentOptions();
        cluster.members().forEach(m -> m.jvmOptions(jvm));
        EdgelinkCluster.Member cloud = cluster.member(sites.cloud());
        EdgelinkCluster.Member relay2 = cluster.member(t.relay2());
        for (EdgelinkCluster.Member r : List.of(cloud, relay2)) {
            // the public nodes have no default route to find their underlay device by
            r.config("relay", "{server: true}").config("underlay", "{interface: "
                    + r.node().links().get(0).iface() + "}");
            cluster.start(r);
            cluster.awaitRunning(r, START_WAIT);
        }
        String relays = "{server: false, peers: [" + cloud.multiaddr() + ", " + relay2.multiaddr() + "]}";
        for (Node n : List.of(sites.a1(), sites.a2(), sites.b1(), sites.b2())) {
            cluster.member(n).config("site", n.name().substring(0, 1)).config("relay", relays);
        }
        // as in the sites suite: the second node of each site on a port of its own, so that both pairs can punch
        cluster.member(sites.a2()).listenPort(4002);
        joiner.listenPort(4002);
        List<EdgelinkCluster.Member> site = List.of(cluster.member(sites.a1()), cluster.member(sites.a2()),
                cluster.member(sites.b1()));
        site.forEach(cluster::start);
        site.forEach(m -> cluster.awaitRunning(m, START_WAIT));
        progress("cloud, relay2, a-n1, a-n2, b-n1 started");
    }

    /**
     * Waits until the first five see each other ACTIVE (fails after {@link #CONVERGE}) and their cross-site pairs
     * show direct (a note after {@link #DIRECT_WAIT}); returns the notes, "" when there are none.
     */
    private String steady() {
        for (EdgelinkCluster.Member m : others) {
            List<String> peers = names(others, m);
            Sight s = watch(m, peers, System.nanoTime(), CONVERGE, p -> "ACTIVE".equals(p.path("state").asText()));
            if (s.failure() != null) {
                throw new LabException("the first five did not converge: " + m.name() + " " + s.failure()
                        + cluster.describe());
            }
        }
        List<String> notes = new ArrayList<>();
        for (EdgelinkCluster.Member m : others) {
            List<String> crossSite = others.stream().filter(o -> isSite(o) && isSite(m)
                    && o.name().charAt(0) != m.name().charAt(0)).map(EdgelinkCluster.Member::name).toList();
            Sight s = watch(m, crossSite, System.nanoTime(), DIRECT_WAIT, p -> "direct".equals(p.path("path")
                    .asText()) && "ACTIVE".equals(p.path("state").asText()));
            if (s.failure() != null) {
                notes.add(m.name() + " not all direct within " + DIRECT_WAIT.toSeconds() + " s (" + s.failure() + ")");
            }
        }
        return String.join("; ", notes);
    }

    private static boolean isSite(EdgelinkCluster.Member m) {
        return m.name().matches("[ab]-n\\d");
    }

    /** One round: spawns b-n2 and watches all six in parallel until they see each other ACTIVE. */
    private Round round(int number) throws IOException {
        String load = SitesBench.loadAverage().split(" ")[0];
        double othersCpu0 = cpuSeconds(others);
        long h0 = System.nanoTime();
        cluster.start(joiner);
        long t0 = System.nanoTime();
        Predicate<JsonNode> active = p -> "ACTIVE".equals(p.path("state").asText());
        ExecutorService pool = Executors.newFixedThreadPool(others.size() + 1);
        List<Future<Sight>> watches = new ArrayList<>();
        try {
            watches.add(pool.submit(() -> watch(joiner, names(others, null), t0, REACH_WAIT, active)));
            for (EdgelinkCluster.Member o : others) {
                watches.add(pool.submit(() -> watch(o, List.of(JOINER), t0, REACH_WAIT, active)));
            }
            double started;
            String note = "";
            try {
                cluster.awaitRunning(joiner, START_WAIT);
                started = seconds(t0);
            } catch (LabException e) {
                started = Double.NaN;
                note = "no \"agent started\": " + SitesBench.firstLine(e.getMessage());
            }
            List<Sight> sights = new ArrayList<>();
            for (Future<Sight> f : watches) {
                sights.add(result(f));
            }
            double joinerCpu = cpuSeconds(List.of(joiner));
            double othersCpu = cpuSeconds(others) - othersCpu0;
            return round(number, (t0 - h0) / 1e6, started, sights, new double[] {joinerCpu, othersCpu}, load, note);
        } finally {
            pool.shutdownNow();
        }
    }

    /** Folds the six sights into a round: {@code sights.get(0)} is b-n2's own; {@code cpu}: b-n2's, the others'. */
    static Round round(int number, double harnessMs, double started, List<Sight> sights, double[] cpu, String load,
            String note) {
        List<String> notes = new ArrayList<>();
        if (!note.isEmpty()) {
            notes.add(note);
        }
        Sight own = sights.get(0);
        double last = Double.NEGATIVE_INFINITY;
        String lastObserver = "";
        for (Sight s : sights) {
            if (s.failure() != null) {
                notes.add(s.observer() + ": " + s.failure());
            } else if (s.seconds() > last && s != own) {
                last = s.seconds();
                lastObserver = s.observer();
            }
        }
        boolean allSaw = sights.stream().skip(1).allMatch(s -> s.failure() == null);
        double allSee = allSaw ? last : Double.NaN;
        double ownS = own.failure() == null ? own.seconds() : Double.NaN;
        String lastOne = !allSaw || Double.isNaN(ownS) ? "" : ownS >= allSee ? own.observer() : lastObserver;
        return new Round(number, harnessMs, started, ownS, allSee, lastOne, own.paths(), cpu[0], cpu[1], load,
                String.join("; ", notes));
    }

    /**
     * Polls {@code m}'s {@code GET /status} every {@link #POLL} until its entries for every one of {@code peers}
     * meet {@code test}; the seconds are from {@code t0} to the end of that poll.
     */
    private Sight watch(EdgelinkCluster.Member m, List<String> peers, long t0, Duration timeout,
            Predicate<JsonNode> test) {
        return watch(m, t0, timeout, status -> missing(status, peers, test), status -> paths(status, peers));
    }

    /**
     * Polls {@code m}'s {@code GET /status} every {@link #POLL} until {@code awaited} finds nothing left to wait for;
     * the seconds are from {@code t0} to the end of that poll, the paths {@code paths} of that status.
     */
    private Sight watch(EdgelinkCluster.Member m, long t0, Duration timeout,
            Function<JsonNode, List<String>> awaited, Function<JsonNode, String> paths) {
        long deadline = t0 + timeout.toNanos();
        String last = "no status read";
        while (System.nanoTime() < deadline) {
            long polled = System.nanoTime();
            try {
                JsonNode status = cluster.statusHttp(m);
                double seen = seconds(t0);
                List<String> left = awaited.apply(status);
                if (left.isEmpty()) {
                    return new Sight(m.name(), seen, paths.apply(status), null);
                }
                last = "still waiting for " + String.join(", ", left);
            } catch (LabException e) {
                last = "status unreadable: " + SitesBench.firstLine(e.getMessage());
            }
            Bench.sleep(Math.max(0, (polled + POLL.toNanos() - System.nanoTime()) / 1_000_000));
        }
        return new Sight(m.name(), Double.NaN, "", "not within " + timeout.toSeconds() + " s, " + last);
    }

    /** The peers among {@code peers} whose entry in {@code status} is absent or fails {@code test}. */
    static List<String> missing(JsonNode status, List<String> peers, Predicate<JsonNode> test) {
        return peers.stream().filter(p -> EdgelinkCluster.peer(status, p).filter(test).isEmpty()).toList();
    }

    /** "peer path" for each of {@code peers}, as {@code status} shows them. */
    static String paths(JsonNode status, List<String> peers) {
        List<String> out = new ArrayList<>();
        for (String p : peers) {
            out.add(p + " " + EdgelinkCluster.peer(status, p).map(e -> e.path("path").asText()).orElse("-"));
        }
        return String.join(", ", out);
    }

    /**
     * Stops b-n2 (SIGTERM: it announces its leave), waits until no other node lists it, then until its tombstone
     * has expired everywhere. Returns a note when some node still listed it.
     */
    private String leave() {
        long stopped = System.nanoTime();
        cluster.stop(joiner);
        List<String> notes = new ArrayList<>();
        for (EdgelinkCluster.Member o : others) {
            Sight s = watch(o, stopped, FORGET_WAIT, status -> EdgelinkCluster.peer(status, JOINER)
                    .map(p -> List.of(JOINER + " gone")).orElse(List.of()), status -> "");
            if (s.failure() != null) {
                notes.add(o.name() + " still lists b-n2 " + FORGET_WAIT.toSeconds() + " s after its leave");
            }
        }
        Bench.sleep(Math.max(0, (stopped + TOMBSTONE_WAIT.toNanos() - System.nanoTime()) / 1_000_000));
        return String.join("; ", notes);
    }

    private static List<String> names(List<EdgelinkCluster.Member> members, EdgelinkCluster.Member except) {
        return members.stream().filter(m -> m != except).map(EdgelinkCluster.Member::name).toList();
    }

    private static Sight result(Future<Sight> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LabException("interrupted", e);
        } catch (ExecutionException e) {
            throw new LabException("a status poller failed: " + e.getCause(), e.getCause());
        }
    }

    /**
     * The CPU seconds (user + system) the members' agents have used so far, from {@code /proc/PID/stat} (the agent's
     * PID is the JVM's: {@code ip netns exec} execs into it); NaN when one has exited.
     */
    private static double cpuSeconds(List<EdgelinkCluster.Member> members) {
        double sum = 0;
        for (EdgelinkCluster.Member m : members) {
            try {
                String stat = Files.readString(Path.of("/proc", Long.toString(m.agent().orElseThrow().pid()), "stat"));
                sum += cpuTicks(stat) / (double) CLOCK_TICKS;
            } catch (IOException e) {
                return Double.NaN;
            }
        }
        return sum;
    }

    /** utime + stime of a {@code /proc/PID/stat} line: fields 14 and 15, counted after the command's parenthesis. */
    static long cpuTicks(String stat) {
        String[] f = stat.substring(stat.lastIndexOf(')') + 1).trim().split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    private static double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    // ------------------------------------------------------------------------------------------- the report

    /** The rounds as a markdown table, their medians, and what the run ran on. */
    static String report(List<Round> rounds, boolean ca, Instant began, String load, String converged) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "JoinBench %s UTC, checkout %s, harness %s; %d vCPUs; agents' JVM: %s; "
                + "record TTL %d s; load average (1 / 5 / 15 min) %s.%n", began.truncatedTo(ChronoUnit.SECONDS),
                System.getProperty("edgelink.bench.commit", "unknown"),
                ca ? "with the cluster CA (every member certified)" : "without a cluster CA",
                Runtime.getRuntime().availableProcessors(), "defaults".equals(JVM) ? "JVM defaults"
                        : "the options bin/edgelink agent ships", EdgelinkCluster.RECORD_TTL.toSeconds(), load));
        if (!converged.isEmpty()) {
            b.append("Before the first round: ").append(converged).append(".\n");
        }
        b.append("\n| round | load 1 min | started s | b-n2 sees all 5 ACTIVE s | all 5 see b-n2 ACTIVE s "
                + "| reachable s | last to see | CPU s b-n2 / the other 5 | b-n2's paths then | notes |\n");
        b.append("|---|---|---|---|---|---|---|---|---|---|\n");
        for (Round r : rounds) {
            b.append(String.format(Locale.ROOT, "| %d | %s | %s | %s | %s | %s | %s | %s / %s | %s | %s |%n",
                    r.number(), r.load(), num(r.startedS()), num(r.joinerSeesAllS()), num(r.allSeeJoinerS()),
                    num(r.reachableS()), r.lastObserver(), num(r.joinerCpuS()), num(r.othersCpuS()), r.paths(),
                    SitesBench.cell(r.note())));
        }
        List<Round> done = rounds.stream().filter(Round::complete).toList();
        b.append(String.format(Locale.ROOT, "%nmedian of %d complete rounds of %d: started %s s, reachable %s s "
                + "(b-n2 sees all %s s, all see b-n2 %s s)%n", done.size(), rounds.size(),
                num(median(done, Round::startedS)), num(median(done, Round::reachableS)),
                num(median(done, Round::joinerSeesAllS)), num(median(done, Round::allSeeJoinerS))));
        b.append(String.format(Locale.ROOT, "CPU from the spawn to the end of the round: b-n2's agent %s s, the other "
                + "five agents %s s together (medians); the harness's part before the spawn (config, certificate, "
                + "fork; not counted above) %s ms%n", num(median(done, Round::joinerCpuS)),
                num(median(done, Round::othersCpuS)), String.format(Locale.ROOT, "%.1f",
                        median(rounds, Round::harnessMs))));
        return b.toString();
    }

    /** The median (nearest rank, as {@link Bench#median}) of {@code f} over {@code rounds}; NaN for none. */
    static double median(List<Round> rounds, ToDoubleFunction<Round> f) {
        List<Double> v = rounds.stream().map(r -> f.applyAsDouble(r)).toList();
        return v.isEmpty() ? Double.NaN : Bench.median(v);
    }

    private static String num(double s) {
        return Double.isNaN(s) ? "not seen" : String.format(Locale.ROOT, "%.2f", s);
    }

    private static void progress(String format, Object... args) {
        System.err.printf(Locale.ROOT, "bench-join: " + format + "%n", args);
    }
}
