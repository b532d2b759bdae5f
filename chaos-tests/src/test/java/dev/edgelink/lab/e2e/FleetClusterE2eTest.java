package dev.edgelink.lab.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgelink.agent.config.ConfigException;
import dev.edgelink.agent.config.ConfigLoader;
import dev.edgelink.lab.ExecResult;
import dev.edgelink.lab.Lab;
import dev.edgelink.lab.LabException;
import dev.edgelink.lab.NatMode;
import dev.edgelink.lab.Node;
import dev.edgelink.lab.Topologies;
import dev.edgelink.lab.Wait;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * Issue 10 at lab size: a fleet of {@value #FLEET} real agents on {@link Topologies#fleet}: {@value #PER_SITE}
 * nodes behind each of two port-preserving NAT routers (site labels a and b, each on a listen port of its own so that
 * every cross-site pair could be punched) and {@value #CLOUD} public cloud nodes, of which cloud1 and cloud2 are the
 * relays and every other node's bootstrap peers. Every agent runs with the JVM options {@code bin/edgelink agent}
 * ships (about 100 MiB each) and has one pod: a namespace given its address by a CNI ADD on the agent's socket
 * ({@link NamespacePod}; podman would cost more than the agents on this 2-core machine).
 *
 * <p>What it checks, in this order (each needs the state the one before left):
 * <ol>
 *   <li>connections at idle, before any pod traffic: a site node holds connections only for a reason (every one in
 *       {@code status} names one, or "opened by the peer") and far fewer than a full mesh (see
 *       {@link #IDLE_CONNECTION_BOUND});</li>
 *   <li>every pod reaches every other pod: all ordered pairs, the sources in parallel;</li>
 *   <li>a cross-site pair whose connection the idle timeout took keeps its route, and its first pod packet gets
 *       through: the time from idle to the first answer is printed.</li>
 * </ol>
 * A summary (start, convergence, connections per node, first packet, agents' RSS) is printed at the end. The lab
 * (agents by PID, pods, namespaces under the lab's unique prefix, launcher) is removed at the end, also after a
 * failure, and checked for leftovers.
 */
@Tag("lab")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(240)
class FleetClusterE2eTest {
    static final int PER_SITE = 6;
    static final int CLOUD = 3;
    static final int FLEET = 2 * PER_SITE + CLOUD;
    /** cloud1 and cloud2: relay servers and everybody's bootstrap peers. */
    private static final int RELAYS = 2;
    /**
     * The most established libp2p connections an idle site node may hold: its relays, which are also its bootstrap
     * peers (2), its own gossip partners (4), and the partners that chose it: only nodes that can dial it directly,
     * that is its 5 same-site neighbours (the cloud cannot dial into a NAT) - 11 at the very most, plus one for a
     * second connection to a peer while a path changes. A full mesh would be 14.
     */
    static final int IDLE_CONNECTION_BOUND = 12;
    /** Sweeps in a row (one every {@link #POLL}) in which every site node must be within the bound. */
    private static final int STABLE_SWEEPS = 3;
    private static final Duration POLL = Duration.ofSeconds(2);
    private static final int SWEEP_THREADS = 4;
    /** 15 JVMs starting at once on a busy 2-core machine. */
    private static final Duration START_WAIT = Duration.ofSeconds(180);
    private static final Duration CONVERGE = Duration.ofSeconds(150);
    /** How long the site nodes' connections may take to settle within the bound after convergence. */
    private static final Duration SETTLE = Duration.ofSeconds(60);
    /** {@code timeouts.idleTimeout} in the agents' config: pod traffic older than this no longer needs a connection. */
    static final Duration IDLE_TIMEOUT = Duration.ofSeconds(15);
    /** The connection manager closes a connection whose last reason went this long ago (ConnectionPolicy). */
    private static final Duration CLOSE_GRACE = Duration.ofSeconds(10);
    /** From the last pod packet to a cross-site pair without a connection: timeout, grace, a loaded machine. */
    private static final Duration IDLE_WAIT = IDLE_TIMEOUT.plus(CLOSE_GRACE).plusSeconds(35);
    /** The first pod ping to an idle peer must be answered within this (a relayed dial, maybe a punch). */
    static final double FIRST_PACKET_BOUND_S = 10.0;
    /** How long one ping of the all-pairs round waits for its first answer (a lazy connection may open first). */
    private static final int PAIR_PING_DEADLINE_S = 8;
    private static final Pattern STAMPED_REPLY = Pattern.compile(
            "^\\[(\\d+\\.\\d+)\\] \\d+ bytes from .*icmp_seq=(\\d+)", Pattern.MULTILINE);
    private static final Pattern RSS = Pattern.compile("VmRSS:\\s+(\\d+) kB");

    private Lab lab;
    private EdgelinkCluster cluster;
    private Topologies.Fleet t;
    /** Why the agent refuses {@code timeouts.idleTimeout}, or empty when it takes it. */
    private Optional<String> idleTimeoutRefused = Optional.empty();
    private final Map<String, NamespacePod> pods = new LinkedHashMap<>();
    private final Map<String, String> summary = new LinkedHashMap<>();
    /** Looks at several members at once: each look is a process or two in the member's namespace. */
    private final ExecutorService sweeper = Executors.newFixedThreadPool(SWEEP_THREADS);

    @RegisterExtension
    final TestWatcher dumpOnFailure = ClusterLifecycle.dumpOnFailure(() -> cluster);

    @BeforeAll
    @Timeout(420)
    void startFleet() {
        lab = Lab.open();
        try {
            t = Topologies.fleet(lab, PER_SITE, CLOUD, NatMode.PRESERVE, NatMode.PRESERVE);
            idleTimeoutRefused = idleTimeoutRefusal();
            cluster = EdgelinkCluster.create(lab, t.nodes(), EdgelinkCluster.runningClasspath()).withoutBootstrap()
                    .config("timeouts", timeouts());
            configure();
            long t0 = System.nanoTime();
            startAgents(t0);
            awaitConverged(t0);
            for (EdgelinkCluster.Member m : cluster.members()) {
                pods.put(m.name(), NamespacePod.add(cluster, m.node()));
            }
        } catch (RuntimeException | Error e) {
            if (cluster != null) {
                System.out.println("=== the fleet did not come up:" + cluster.describe());
            }
            try {
                tearDown();
            } catch (RuntimeException | Error teardown) {
                e.addSuppressed(teardown);
            }
            throw e;
        }
    }

    /**
     * Whether this agent knows {@code timeouts.idleTimeout}: its own config loader is asked (it refuses unknown
     * keys, and an agent given one would not start). Without it test 3 cannot make a peer idle in time.
     */
    private static Optional<String> idleTimeoutRefusal() {
        try {
            new ConfigLoader(() -> "probe").parse("podCidr: 10.244.1.0/24\ntrust: {insecure: true}\n"
                    + "timeouts: {idleTimeout: " + IDLE_TIMEOUT.toSeconds() + "s}\n");
            return Optional.empty();
        } catch (ConfigException e) {
            if (!e.getMessage().contains("idleTimeout")) {
                throw e;
            }
            return Optional.of(e.getMessage());
        }
    }

    /** Rounds slower than the suites of five nodes (15 agents share 2 cores), and the short idle timeout. */
    private String timeouts() {
        return "{probeInterval: 1s, probeTimeout: 500ms, gossipInterval: 1s, recordTtl: 30s"
                + (idleTimeoutRefused.isEmpty() ? ", idleTimeout: " + IDLE_TIMEOUT.toSeconds() + "s" : "") + "}";
    }

    private void configure() {
        List<String> shipped;
        try {
            shipped = Bench.shippedAgentOptions();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read bin/agent.jvm-options", e);
        }
        List<String> relays = new ArrayList<>();
        for (Node r : relayNodes()) {
            relays.add(multiaddr(cluster.member(r)));
        }
        for (EdgelinkCluster.Member m : cluster.members()) {
            m.jvmOptions(shipped);
        }
        for (Node c : t.cloud()) {
            // the public nodes have no default route to find their underlay device by
            EdgelinkCluster.Member m = cluster.member(c).config("underlay", "{interface: " + c.links().get(0).iface()
                    + "}");
            List<String> others = relays.stream().filter(a -> !a.contains("/ip4/" + c.address() + "/")).toList();
            m.config("bootstrapPeers", "[" + String.join(", ", others) + "]");
            if (relayNodes().contains(c)) {
                m.config("relay", "{server: true}");
            }
        }
        String all = "[" + String.join(", ", relays) + "]";
        for (List<Node> site : List.of(t.siteA(), t.siteB())) {
            for (int i = 0; i < site.size(); i++) {
                // one NAT, many nodes: each on a port of its own, or two cross-site pairs would need one 4-tuple
                cluster.member(site.get(i)).config("site", site.get(i).name().substring(0, 1))
                        .config("bootstrapPeers", all).config("relay", "{server: false, peers: " + all + "}")
                        .listenPort(EdgelinkCluster.DEFAULT_LISTEN_PORT + i);
            }
        }
    }

    private List<Node> relayNodes() {
        return t.cloud().subList(0, RELAYS);
    }

    /**
     * A relay's address with the peer id of the key the lab makes for it (in its state directory, as the cluster
     * does before the first start), so that both relays can start at once, each the other's bootstrap peer.
     */
    private static String multiaddr(EdgelinkCluster.Member m) {
        try {
            if (!Files.isDirectory(m.stateDir())) {
                Files.createDirectories(m.stateDir(), PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rwx------")));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the state directory of " + m.name(), e);
        }
        return "/ip4/" + m.node().address() + "/tcp/" + m.listenPort() + "/p2p/" + LabCa.peerOf(m.keyFile());
    }

    /** The relays at once, then (once they listen) the other nodes at once. */
    private void startAgents(long t0) {
        List<EdgelinkCluster.Member> relays = relayNodes().stream().map(cluster::member).toList();
        List<EdgelinkCluster.Member> rest = cluster.members().stream().filter(m -> !relays.contains(m)).toList();
        relays.forEach(cluster::start);
        relays.forEach(m -> cluster.awaitRunning(m, START_WAIT));
        long relaysUp = System.nanoTime();
        rest.forEach(cluster::start);
        rest.forEach(m -> cluster.awaitRunning(m, START_WAIT));
        summary.put("start", String.format(Locale.ROOT, "%d agents running %.1f s after the first spawn (the relays "
                + "%.1f s)", FLEET, seconds(t0), (relaysUp - t0) / 1e9));
        System.out.println("fleet e2e " + lab.id() + ": " + summary.get("start") + "; idle timeout "
                + idleTimeoutRefused.map(w -> "not configured: " + w).orElse(IDLE_TIMEOUT.toSeconds() + " s"));
    }

    /**
     * Waits until every node's status lists every other node and same-site peers are ACTIVE on hostgw, and (for at
     * most the same time, a figure only: the agent may wait for a verified path before it routes a peer) until every
     * node has a kernel route to every other node's pod CIDR.
     */
    private void awaitConverged(long t0) {
        Map<String, Double> at = new LinkedHashMap<>();
        long deadline = System.nanoTime() + CONVERGE.toNanos();
        String progress = "";
        while (true) {
            double pollStart = seconds(t0);
            Map<String, List<String>> missing = new LinkedHashMap<>();
            Map<String, Look> looks = sweep(cluster.members(), m -> new Look(cluster.statusHttp(m),
                    m.node().exec("ip", "-4", "route", "show").check().stdout()));
            for (EdgelinkCluster.Member m : cluster.members()) {
                missingOf(m, looks.get(m.name()), missing);
            }
            String now = String.format(Locale.ROOT, "missing members %d, routes %d, hostgw %d",
                    missing.get("members").size(), missing.get("routes").size(), missing.get("hostgw").size());
            if (!now.equals(progress)) {
                System.out.printf(Locale.ROOT, "fleet converging: %s (poll %.1f..%.1f s after the first spawn)%n", now,
                        pollStart, seconds(t0));
                progress = now;
            }
            for (String what : List.of("members", "routes", "hostgw")) {
                if (missing.get(what).isEmpty()) {
                    at.putIfAbsent(what, seconds(t0));
                }
            }
            if (at.size() == 3) {
                break;
            }
            if (System.nanoTime() > deadline) {
                if (!at.containsKey("members") || !at.containsKey("hostgw")) {
                    throw new LabException("the fleet did not converge within " + CONVERGE.toSeconds()
                            + " s; missing: " + abbreviated(missing));
                }
                at.put("routes", Double.NaN);
                progress = abbreviated(missing);
                break;
            }
            sleep(POLL);
        }
        summary.put("converge", String.format(Locale.ROOT, "after the first spawn: every status lists all %d others "
                + "%.1f s, same-site peers on hostgw %.1f s, every pod CIDR routed everywhere %s", FLEET - 1,
                at.get("members"), at.get("hostgw"), at.get("routes").isNaN() ? "not within the wait: " + progress
                        : String.format(Locale.ROOT, "%.1f s", at.get("routes"))));
        System.out.println("fleet converged: " + summary.get("converge"));
    }

    /** A member's status and main routing table ({@code ip -4 route show} in its namespace). */
    private record Look(JsonNode status, String routes) {
    }

    /** What {@code m} lacks for convergence, added under "members", "routes" and "hostgw". */
    private void missingOf(EdgelinkCluster.Member m, Look look, Map<String, List<String>> missing) {
        JsonNode status = look.status();
        String routes = look.routes();
        for (EdgelinkCluster.Member o : cluster.members()) {
            if (o == m) {
                continue;
            }
            Optional<JsonNode> p = EdgelinkCluster.peer(status, o.name());
            if (p.isEmpty() || "REFUSED".equals(p.get().path("state").asText())) {
                missing.computeIfAbsent("members", k -> new ArrayList<>()).add(m.name() + " -> " + o.name());
            }
            if (!hasRoute(routes, o.podCidr())) {
                missing.computeIfAbsent("routes", k -> new ArrayList<>()).add(m.name() + " -> " + o.podCidr());
            }
            if (sameSite(m.node(), o.node()) && !p.map(e -> "hostgw".equals(e.path("path").asText())
                    && "ACTIVE".equals(e.path("state").asText())).orElse(false)) {
                missing.computeIfAbsent("hostgw", k -> new ArrayList<>()).add(m.name() + " -> " + o.name());
            }
        }
        for (String what : List.of("members", "routes", "hostgw")) {
            missing.putIfAbsent(what, new ArrayList<>());
        }
    }

    private static boolean hasRoute(String ipRouteShow, String cidr) {
        return ipRouteShow.lines().anyMatch(l -> l.startsWith(cidr + " "));
    }

    private boolean isSiteNode(Node n) {
        return !t.cloud().contains(n);
    }

    private boolean sameSite(Node a, Node b) {
        return isSiteNode(a) && isSiteNode(b) && a.name().charAt(0) == b.name().charAt(0);
    }

    /** Also run by a failed {@link #startFleet} before JUnit runs it again: everything in it is idempotent. */
    @AfterAll
    void tearDown() {
        if (!summary.isEmpty()) {
            printSummary();
            summary.clear();
        }
        List<String> delFailed = new ArrayList<>();
        for (NamespacePod p : pods.values()) {
            try {
                p.remove();
            } catch (RuntimeException e) {
                delFailed.add(e.getMessage());
            }
        }
        pods.clear();
        sweeper.shutdownNow();
        ClusterLifecycle.tearDown(lab, cluster);
        assertEquals(List.of(), delFailed, "pods whose CNI DEL failed");
    }

    private void printSummary() {
        StringBuilder b = new StringBuilder("=== fleet e2e summary (lab " + lab.id() + ", " + FLEET + " agents: "
                + CLOUD + " cloud, 2 sites x " + PER_SITE + ")\n");
        summary.forEach((k, v) -> b.append(k).append(": ").append(v).append('\n'));
        b.append("agent RSS: ").append(rssLine()).append('\n');
        System.out.print(b);
    }

    private String rssLine() {
        Map<String, Long> kib = new LinkedHashMap<>();
        for (EdgelinkCluster.Member m : cluster.members()) {
            m.agent().filter(p -> p.alive()).flatMap(p -> rssKib(p.pid())).ifPresent(v -> kib.put(m.name(), v));
        }
        if (kib.isEmpty()) {
            return "no agent running";
        }
        List<Map.Entry<String, Long>> sorted = new ArrayList<>(kib.entrySet());
        sorted.sort(Map.Entry.comparingByValue());
        Map.Entry<String, Long> largest = sorted.get(sorted.size() - 1);
        return String.format(Locale.ROOT, "median %.0f MiB, largest %.0f MiB (%s), of %d agents",
                sorted.get(sorted.size() / 2).getValue() / 1024.0, largest.getValue() / 1024.0, largest.getKey(),
                sorted.size());
    }

    private static Optional<Long> rssKib(long pid) {
        try {
            Matcher m = RSS.matcher(Files.readString(Path.of("/proc", Long.toString(pid), "status")));
            return m.find() ? Optional.of(Long.parseLong(m.group(1))) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    // ------------------------------------------------------------------------------------------- connections

    /**
     * One node's libp2p connections as its agent reports them.
     *
     * @param established {@code edgelink_connections{state="established"}} from {@code /metrics}: every connection
     *     of the host, direct or relayed
     * @param connected the peers {@code status} shows with a direct or relayed connection
     * @param reasons how many connected peers give each reason
     * @param unexplained connected peers with no reason at all
     */
    record Links(String node, int established, List<String> connected, Map<String, Integer> reasons,
            List<String> unexplained) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%s: %d established, %d of %d peers connected %s", node, established,
                    connected.size(), FLEET - 1, reasons);
        }
    }

    private Links links(EdgelinkCluster.Member m) {
        JsonNode status = cluster.statusHttp(m);
        int established = (int) EdgelinkCluster.metricSum(cluster.metricsHttp(m), "edgelink_connections",
                "state=\"established\"");
        List<String> connected = new ArrayList<>();
        Map<String, Integer> reasons = new TreeMap<>();
        List<String> unexplained = new ArrayList<>();
        for (JsonNode p : status.path("peers")) {
            JsonNode c = p.path("connection");
            if (!c.path("direct").asBoolean() && !c.path("relayed").asBoolean()) {
                continue;
            }
            String name = p.path("node").asText();
            connected.add(name);
            if (c.path("reasons").isEmpty()) {
                unexplained.add(name + " " + c);
            }
            c.path("reasons").forEach(r -> reasons.merge(r.asText(), 1, Integer::sum));
        }
        return new Links(m.name(), established, connected, reasons, unexplained);
    }

    private boolean withinIdleBound(Links l) {
        return l.established() <= IDLE_CONNECTION_BOUND && l.connected().size() < FLEET - 1;
    }

    @Test
    @Order(1)
    void idleSiteNodesHoldFarFewerConnectionsThanAFullMeshEachForAReason() {
        long t0 = System.nanoTime();
        long deadline = t0 + SETTLE.toNanos();
        int stable = 0;
        List<Links> last;
        while (true) {
            last = List.copyOf(sweep(cluster.members(), this::links).values());
            boolean ok = last.stream().filter(l -> isSiteNode(cluster.member(l.node()).node()))
                    .allMatch(this::withinIdleBound);
            stable = ok ? stable + 1 : 0;
            if (stable >= STABLE_SWEEPS || System.nanoTime() > deadline) {
                break;
            }
            sleep(POLL);
        }
        StringBuilder table = new StringBuilder();
        last.forEach(l -> table.append("\n  ").append(l));
        summary.put("connections at idle", String.format(Locale.ROOT, "%s within the bound for %d sweeps in a row "
                + "%.1f s after convergence%s", stable >= STABLE_SWEEPS ? "site nodes" : "site nodes NOT",
                STABLE_SWEEPS, seconds(t0), table));
        System.out.println("fleet connections at idle:" + table);
        for (Links l : last) {
            assertEquals(List.of(), l.unexplained(), l.node() + ": every connection has a reason");
            if (isSiteNode(cluster.member(l.node()).node())) {
                assertTrue(l.established() <= IDLE_CONNECTION_BOUND, l + ": at most " + IDLE_CONNECTION_BOUND
                        + " established connections when idle; connected to " + l.connected());
                assertTrue(l.connected().size() < FLEET - 1, l + ": not a full mesh; connected to " + l.connected());
            }
        }
    }

    // ------------------------------------------------------------------------------------------- reachability

    /**
     * All {@value #FLEET} x {@value #FLEET}-1 ordered pod pairs: each source pod pings every other pod in turn (one
     * answer, waiting up to {@link #PAIR_PING_DEADLINE_S} s, so that a connection opened on demand can come up
     * first), all sources at once.
     */
    @Test
    @Order(2)
    void everyPodReachesEveryOtherPod() {
        long t0 = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(pods.size());
        Map<String, Future<ExecResult>> rounds = new LinkedHashMap<>();
        try {
            for (NamespacePod from : pods.values()) {
                List<String> targets = pods.values().stream().filter(p -> p != from).map(NamespacePod::ip).toList();
                rounds.put(from.node().name(), pool.submit(() -> from.exec(Duration.ofSeconds(
                        (long) PAIR_PING_DEADLINE_S * targets.size() + 60), "sh", "-c", pingEach(targets))));
            }
            List<String> lost = new ArrayList<>();
            long slowest = 0;
            int answered = 0;
            for (var e : rounds.entrySet()) {
                ExecResult r = get(e.getValue());
                for (String line : r.stdout().split("\n")) {
                    String[] f = line.trim().split(" ");
                    if (f.length == 3 && "ok".equals(f[0])) {
                        answered++;
                        slowest = Math.max(slowest, Long.parseLong(f[2]));
                    } else if (f.length == 3) {
                        lost.add(e.getKey() + " -> " + nodeOf(f[1]));
                    }
                }
                assertFalse(r.timedOut(), e.getKey() + "'s round of pings timed out: " + r.describe());
            }
            summary.put("all pairs", String.format(Locale.ROOT, "%d of %d ordered pod pairs answered in %.1f s "
                    + "(slowest first answer %d ms)", answered, FLEET * (FLEET - 1), seconds(t0), slowest));
            System.out.println("fleet pod pairs: " + summary.get("all pairs"));
            assertEquals(List.of(), lost, "pod pairs without an answer within " + PAIR_PING_DEADLINE_S + " s");
            assertEquals(FLEET * (FLEET - 1), answered, "answered pairs");
        } finally {
            pool.shutdownNow();
        }
    }

    /** A shell loop: "ok|lost IP MILLIS" per target, the time to its first answer (or to giving up). */
    private static String pingEach(List<String> targets) {
        return "for ip in " + String.join(" ", targets) + "; do s=$(date +%s%N); if ping -n -q -c 1 -w "
                + PAIR_PING_DEADLINE_S + " $ip >/dev/null 2>&1; then r=ok; else r=lost; fi; "
                + "echo \"$r $ip $(( ($(date +%s%N) - s) / 1000000 ))\"; done";
    }

    private String nodeOf(String podIp) {
        return pods.values().stream().filter(p -> p.ip().equals(podIp)).map(p -> p.node().name()).findFirst()
                .orElse(podIp);
    }

    private static <T> T get(Future<T> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LabException("interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new AssertionError(e.getCause());
        }
    }

    /** {@code look} at each of {@code members}, a few at a time; the answers by member name, in their order. */
    private <T> Map<String, T> sweep(List<EdgelinkCluster.Member> members, Function<EdgelinkCluster.Member, T> look) {
        Map<String, Future<T>> running = new LinkedHashMap<>();
        for (EdgelinkCluster.Member m : members) {
            running.put(m.name(), sweeper.submit(() -> look.apply(m)));
        }
        Map<String, T> out = new LinkedHashMap<>();
        running.forEach((name, f) -> out.put(name, get(f)));
        return out;
    }

    // ------------------------------------------------------------------------------------------- idle peers

    @Test
    @Order(3)
    void aCrossSitePeerIdleWithoutAConnectionKeepsItsRouteAndItsFirstPacketGetsThrough() {
        assertTrue(idleTimeoutRefused.isEmpty(), "the agent does not take timeouts.idleTimeout, so no peer goes "
                + "idle within the test (" + idleTimeoutRefused.orElse("") + ")");
        long t0 = System.nanoTime();
        String[] pair = awaitIdleCrossSitePair();
        double idleAfter = seconds(t0);
        EdgelinkCluster.Member from = cluster.member(pair[0]);
        EdgelinkCluster.Member to = cluster.member(pair[1]);
        String routes = from.node().exec("ip", "-4", "route", "show").check().stdout();
        assertTrue(hasRoute(routes, to.podCidr()), from.name() + " keeps its route to idle " + to.name() + "'s pods "
                + to.podCidr() + ":\n" + routes);

        Instant sent = Instant.now();
        ExecResult r = pods.get(from.name()).exec(Duration.ofSeconds(40), "ping", "-D", "-n", "-i", "0.2", "-c", "1",
                "-w", "30", pods.get(to.name()).ip());
        Matcher m = STAMPED_REPLY.matcher(r.stdout());
        assertTrue(m.find(), from.name() + "'s pod got no answer from idle " + to.name() + "'s pod: " + r.describe());
        double first = Double.parseDouble(m.group(1)) - (sent.getEpochSecond() + sent.getNano() / 1e9);
        JsonNode after = EdgelinkCluster.peer(cluster.statusHttp(from), to.name()).map(p -> p.path("connection"))
                .orElse(null);
        summary.put("first packet from idle", String.format(Locale.ROOT, "%s -> %s (no connection %.1f s after the "
                + "all-pairs round): first answer after %.2f s (echo %s); connection then %s", from.name(), to.name(),
                idleAfter, first, m.group(2), after));
        System.out.println("fleet first packet: " + summary.get("first packet from idle"));
        assertTrue(first <= FIRST_PACKET_BOUND_S, "first packet to an idle peer answered within "
                + FIRST_PACKET_BOUND_S + " s: " + first + " s");
    }

    /**
     * Waits (at most {@link #IDLE_WAIT}) until a cross-site pair (site A node, site B node) has no connection, as
     * both ends' status shows; returns their names.
     */
    private String[] awaitIdleCrossSitePair() {
        try {
            return Wait.forValue("a cross-site pair without a connection", IDLE_WAIT, POLL, () -> {
                Map<String, JsonNode> statuses = sweep(t.siteNodes().stream().map(cluster::member).toList(),
                        cluster::statusHttp);
                for (Node a : t.siteA()) {
                    for (Node b : t.siteB()) {
                        if (!connected(statuses.get(a.name()), b.name())
                                && !connected(statuses.get(b.name()), a.name())) {
                            return new String[] {a.name(), b.name()};
                        }
                    }
                }
                return null;
            });
        } catch (LabException e) {
            StringBuilder b = new StringBuilder();
            for (Node a : t.siteA()) {
                b.append("\n  ").append(a.name()).append(" connected to ").append(links(cluster.member(a)));
            }
            throw new AssertionError(e.getMessage() + " (idle timeout " + IDLE_TIMEOUT.toSeconds() + " s, close grace "
                    + CLOSE_GRACE.toSeconds() + " s); site A now:" + b, e);
        }
    }

    private static boolean connected(JsonNode status, String peer) {
        return EdgelinkCluster.peer(status, peer).map(p -> p.at("/connection/direct").asBoolean()
                || p.at("/connection/relayed").asBoolean()).orElse(true);
    }

    // ------------------------------------------------------------------------------------------- helpers

    private static double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LabException("interrupted", e);
        }
    }

    private static String abbreviated(Map<String, List<String>> missing) {
        StringBuilder b = new StringBuilder();
        missing.forEach((what, items) -> {
            if (!items.isEmpty()) {
                b.append(what).append(" (").append(items.size()).append("): ")
                        .append(items.subList(0, Math.min(12, items.size()))).append("; ");
            }
        });
        return b.toString();
    }
}
