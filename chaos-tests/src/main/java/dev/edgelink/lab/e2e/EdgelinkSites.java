package dev.edgelink.lab.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgelink.lab.Fault;
import dev.edgelink.lab.Lab;
import dev.edgelink.lab.LabException;
import dev.edgelink.lab.NatMode;
import dev.edgelink.lab.Node;
import dev.edgelink.lab.Pod;
import dev.edgelink.lab.Podman;
import dev.edgelink.lab.Topologies;
import dev.edgelink.lab.Wait;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Our rows of the across-NAT benchmark ({@link SitesBench}): real agents on issue 4's topology, the cloud node first
 * (every other agent's bootstrap peer and the relay server), the site nodes labelled with their site, and a podman pod
 * on each site node ({@link #cloudConfig()} and {@link #siteConfig()} add or replace config lines); the agents run
 * with the JVM options {@code bin/edgelink agent} ships. Two pairs:
 *
 * <ul>
 *   <li>direct: a-n1 to b-n1, both behind port-preserving NATs, so a punched connection is possible;</li>
 *   <li>relayed: a-n2 to b-n2, b-n2 behind a symmetric (fully-random) mapping of its own on b-rtr
 *       ({@code Router.hostNatMode}), so punching cannot work and only the relay on the cloud node is left.</li>
 * </ul>
 *
 * <p>Nothing here fails the run because the agent lacks a path: each row and timing waits for what
 * {@code GET /status} shows (at most {@link #PATH_WAIT}) and otherwise carries the reason it is not available.
 */
final class EdgelinkSites {
    /** How long a pair may take to show its path (and the first pod ping to be answered). */
    static final Duration PATH_WAIT = Duration.ofSeconds(60);
    /** How long a relayed pair may take to go back to direct (the agent retries better paths with backoff). */
    static final Duration UPGRADE_WAIT = Duration.ofSeconds(120);
    /** How long an agent may take to start: five JVMs starting on a busy 2-vCPU machine are slow. */
    static final Duration START_WAIT = Duration.ofSeconds(180);

    private final Lab lab;
    private final Topologies.Sites sites;
    private final EdgelinkCluster cluster;
    private final Map<Node, Pod> pods = new LinkedHashMap<>();
    private Timing firstPacket;
    private Instant podsAt;
    /** The peer entry of the status in which the last successful {@link #awaitPath} saw its path. */
    private JsonNode seen;
    private String directMissing;
    private String relayedMissing;

    /** A measured time in seconds, or why there is none. */
    record Timing(double seconds, String detail, String unavailable) {
        static Timing of(double seconds, String detail) {
            return new Timing(seconds, detail, null);
        }

        static Timing missing(String why) {
            return new Timing(Double.NaN, "", why);
        }

        boolean available() {
            return unavailable == null;
        }
    }

    private EdgelinkSites(Lab lab, Topologies.Sites sites, EdgelinkCluster cluster) {
        this.lab = lab;
        this.sites = sites;
        this.cluster = cluster;
    }

    /**
     * Agent config (top-level YAML keys) for the cloud node only, from the system property
     * {@code edgelink.bench.cloudConfig} (lines {@code key: value}; scripts/bench-sites.sh passes
     * {@code EDGELINK_CLOUD_CONFIG}), e.g. the relay server role once the agent has one.
     */
    static Map<String, String> cloudConfig() {
        return yamlLines(System.getProperty("edgelink.bench.cloudConfig", ""));
    }

    /** The same for the four site nodes: {@code edgelink.bench.siteConfig} ({@code EDGELINK_SITE_CONFIG}). */
    static Map<String, String> siteConfig() {
        return yamlLines(System.getProperty("edgelink.bench.siteConfig", ""));
    }

    static Map<String, String> yamlLines(String text) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException("agent config line is not 'key: value': " + line);
            }
            out.put(line.substring(0, colon).strip(), line.substring(colon + 1).strip());
        }
        return out;
    }

    /**
     * Creates the cluster on {@code t} (members cloud, a-n1, a-n2, b-n1, b-n2, with {@link #cloudConfig()} and
     * {@link #siteConfig()}); starts nothing yet ({@link #run()}). {@code t}'s b-rtr must already give b-n2 a
     * symmetric mapping (see {@link #symmetricB2}). The caller closes {@link #cluster()} (which tears the lab down).
     */
    static EdgelinkSites create(Lab lab, Topologies.Sites t, String classpath) throws IOException {
        if (t.routerB().natMode(t.b2().address()) == NatMode.PRESERVE) {
            throw new IllegalStateException("b-n2 must be behind a symmetric mapping: call symmetricB2 first");
        }
        EdgelinkCluster c = EdgelinkCluster.create(lab, List.of(t.cloud(), t.a1(), t.a2(), t.b1(), t.b2()),
                classpath);
        EdgelinkSites s = new EdgelinkSites(lab, t, c);
        // the cloud node sits on the "internet" segment with no default route: name its underlay device; it is
        // the relay (the site nodes reserve on their bootstrap peers by default)
        c.member(t.cloud()).config("underlay", "{interface: " + t.cloud().link(t.inet()).iface() + "}")
                .config("relay", "{server: true}");
        cloudConfig().forEach((k, v) -> c.member(t.cloud()).config(k, v));
        for (Node n : s.siteNodes()) {
            c.member(n).config("site", n.name().substring(0, 1));
            siteConfig().forEach((k, v) -> c.member(n).config(k, v));
        }
        // two nodes behind one NAT on one port would contend for one public 4-tuple towards the other site
        c.member(t.a2()).listenPort(4002);
        c.member(t.b2()).listenPort(4002);
        // measured as deployed: the JVM options bin/edgelink agent ships
        List<String> shipped = Bench.shippedAgentOptions();
        for (EdgelinkCluster.Member m : c.members()) {
            m.jvmOptions(shipped);
        }
        return s;
    }

    /**
     * Gives b-n2 a fully-random (symmetric) mapping of its own on b-rtr. Call it before anything else runs: the
     * switch flushes the router's conntrack table.
     */
    static void symmetricB2(Topologies.Sites t) {
        t.routerB().hostNatMode(t.b2().address(), NatMode.FULLY_RANDOM);
    }

    EdgelinkCluster cluster() {
        return cluster;
    }

    private List<Node> siteNodes() {
        return List.of(sites.a1(), sites.b1(), sites.a2(), sites.b2());
    }

    /**
     * Starts the cloud's agent, then the four others at once, makes a pod on each site node as soon as its agent
     * runs, and times the first answered ping from a-n1's pod to b-n1's (from the start of the site agents); then
     * waits (guarded) for the two pairs' paths.
     */
    void run() {
        EdgelinkCluster.Member cloud = cluster.member(sites.cloud());
        cluster.start(cloud);
        cluster.awaitRunning(cloud, START_WAIT);
        Instant t0 = Instant.now();
        for (Node n : siteNodes()) {
            cluster.start(cluster.member(n));
        }
        Podman podman = lab.podman();
        StampedPings pings = null;
        for (Node n : siteNodes()) {
            cluster.awaitRunning(cluster.member(n), START_WAIT);
            podman.network(n, cluster.conflist(n));
            pods.put(n, podman.run(n, "p-" + n.name()));
            if (n == sites.b1()) {
                podsAt = Instant.now();
                pings = StampedPings.start(lab, pods.get(sites.a1()), pods.get(sites.b1()).ip());
            }
        }
        firstPacket = firstPacket(pings, t0, podsAt);
        pings.stop();
        // the two pairs wait at the same time: the second wait gets what is left of the first one's time
        Instant deadline = Instant.now().plus(PATH_WAIT);
        directMissing = awaitPath(sites.a1(), sites.b1(), "direct", PATH_WAIT);
        relayedMissing = awaitPath(sites.a2(), sites.b2(), "relayed", left(deadline));
        progress("edgelink: first cross-site pod ping %s; direct a-n1 -> b-n1: %s; relayed a-n2 -> b-n2: %s",
                firstPacket.available() ? String.format(Locale.ROOT, "after %.2f s", firstPacket.seconds())
                        : firstPacket.unavailable(),
                directMissing == null ? "up" : directMissing, relayedMissing == null ? "up" : relayedMissing);
    }

    private Timing firstPacket(StampedPings pings, Instant t0, Instant podsAt) {
        String podsTook = String.format(Locale.ROOT, "pods on a-n1 and b-n1 ready %.2f s after the agents' start",
                seconds(t0, podsAt));
        try {
            StampedPings.Reply r = Wait.forValue("a first answer from b-n1's pod", PATH_WAIT,
                    () -> pings.firstAfter(t0).orElse(null));
            return Timing.of(seconds(t0, r.at()), podsTook);
        } catch (LabException e) {
            return Timing.missing("no ping from a-n1's pod to b-n1's pod answered within " + PATH_WAIT.toSeconds()
                    + " s after the pods were up (" + podsTook + "); a-n1 shows b-n1 as " + peerState(sites.a1(),
                    sites.b1()));
        }
    }

    /** a-n1's pod and b-n1's pod (client, server), or empty when the direct path never showed up. */
    Optional<List<Bench.End>> direct() {
        return directMissing == null ? Optional.of(ends(sites.a1(), sites.b1())) : Optional.empty();
    }

    /** a-n2's pod and b-n2's pod (client, server), or empty when the relayed path never showed up. */
    Optional<List<Bench.End>> relayed() {
        return relayedMissing == null ? Optional.of(ends(sites.a2(), sites.b2())) : Optional.empty();
    }

    /** The pods of {@code a} and {@code b} (client, server), whatever their path; made by {@link #run()}. */
    List<Bench.End> ends(Node a, Node b) {
        Pod pa = pods.get(a);
        Pod pb = pods.get(b);
        return List.of(new Bench.End(a, pa.netnsPath().toString(), pa.ip()),
                new Bench.End(b, pb.netnsPath().toString(), pb.ip()));
    }

    String directMissing() {
        return directMissing;
    }

    String relayedMissing() {
        return relayedMissing;
    }

    Timing firstPacket() {
        return firstPacket;
    }

    /** Stops every agent still running (so that a failed start does not load the machine during the runs). */
    void stopAgents() {
        for (EdgelinkCluster.Member m : cluster.members()) {
            m.agent().ifPresent(p -> p.stop(Duration.ofSeconds(5)));
        }
    }

    // ------------------------------------------------------------------------------------------- failover

    /** Failover and upgrade, in this order: status relayed after the cut, pings again, direct again after it. */
    List<Timing> failoverAndUpgrade() {
        if (directMissing != null) {
            Timing no = Timing.missing("needs the direct path, which is not available");
            return List.of(no, no, no);
        }
        StampedPings pings = StampedPings.start(lab, pods.get(sites.a1()), pods.get(sites.b1()).ip());
        try {
            Bench.sleep(2000);
            if (pings.replies().isEmpty()) {
                Timing no = Timing.missing("pod pings a-n1 -> b-n1 on the direct path were not answered before "
                        + "the cut");
                return List.of(no, no, no);
            }
            return cutAndRestore(pings);
        } finally {
            pings.stop();
        }
    }

    /** The direct path between the sites cut on a-rtr ({@link #cutDirect}); {@link #close()} lifts it. */
    record Cut(Fault in, Fault out) implements AutoCloseable {
        @Override
        public void close() {
            in.remove();
            out.remove();
        }
    }

    /**
     * Cuts the direct path between the sites, and only it: on a-rtr, b-rtr's public address is dropped on arrival
     * (before NAT) and a-n1's packets towards it on the way out; the relays stay reachable. It cuts every peer to
     * peer tunnel between the sites, the VPNs' too.
     */
    Cut cutDirect() {
        String publicA = sites.routerA().address(sites.inet());
        String publicB = sites.routerB().address(sites.inet());
        return new Cut(sites.routerA().block(publicA, publicB), sites.routerA().block(sites.a1().address(), publicB));
    }

    private List<Timing> cutAndRestore(StampedPings pings) {
        Instant cut = Instant.now();
        Cut c = cutDirect();
        Timing toRelayed = changeTime(cut, "relayed", PATH_WAIT, "after the cut");
        Timing resumed;
        try {
            StampedPings.Recovery r = Wait.forValue("pod pings answered again after the cut", PATH_WAIT,
                    () -> pings.recoveryAfter(cut).orElse(null));
            resumed = Timing.of(seconds(cut, r.reply().at()), r.lost() + " pings lost (one per "
                    + (int) (StampedPings.INTERVAL * 1000) + " ms)");
        } catch (LabException e) {
            resumed = Timing.missing("pod pings not answered again within " + PATH_WAIT.toSeconds() + " s of the "
                    + "cut; a-n1 shows b-n1 as " + peerState(sites.a1(), sites.b1()));
        }
        Instant restored = Instant.now();
        c.close();
        Timing upgraded = changeTime(restored, "direct", UPGRADE_WAIT, "after the cut was lifted");
        return List.of(toRelayed, resumed, upgraded);
    }

    /** Seconds from {@code since} to the {@code lastChange} at which a-n1 shows b-n1 on {@code path}. */
    private Timing changeTime(Instant since, String path, Duration wait, String when) {
        String missing = awaitPath(sites.a1(), sites.b1(), path, wait);
        if (missing != null) {
            return Timing.missing(missing + " " + when);
        }
        // the entry of the first status that showed the path: a later state change would move lastChange
        JsonNode p = seen;
        try {
            Instant changed = Instant.parse(p.path("lastChange").asText());
            return Timing.of(seconds(since, changed), "status lastChange");
        } catch (DateTimeParseException e) {
            return Timing.missing("status shows no lastChange time: " + p);
        }
    }

    // ------------------------------------------------------------------------------------------- status

    /** Null when {@code a}'s status shows {@code b} on {@code path} within {@code wait}, else why not. */
    String awaitPath(Node a, Node b, String path, Duration wait) {
        Instant from = Instant.now();
        try {
            // the path carrying pod traffic; the state may be ACTIVE or UPGRADING (probing a better one meanwhile),
            // not FAILED (the path is still named then, but its probes fail)
            seen = Wait.forValue(a.name() + " sees " + b.name() + " on " + path, wait, () -> peer(a, b)
                    .filter(p -> path.equals(p.path("path").asText())
                            && List.of("ACTIVE", "UPGRADING").contains(p.path("state").asText())).orElse(null));
            return null;
        } catch (LabException e) {
            return String.format(Locale.ROOT, "%s did not show %s on path %s (waited %.0f s%s; last: %s)",
                    a.name(), b.name(), path, seconds(from, Instant.now()), podsAt == null ? "" : String.format(
                    Locale.ROOT, ", %.0f s after the pods were up", seconds(podsAt, Instant.now())), peerState(a, b));
        }
    }

    private Optional<JsonNode> peer(Node a, Node b) {
        try {
            return EdgelinkCluster.peer(cluster.statusHttp(cluster.member(a)), b.name());
        } catch (LabException e) {
            return Optional.empty();
        }
    }

    /** "state FAILED, path none, why ..." or "not in its status". */
    String peerState(Node a, Node b) {
        return peer(a, b).map(p -> "state " + p.path("state").asText() + ", path " + (p.path("path").isNull()
                ? "none" : p.path("path").asText()) + ", why: " + p.path("why").asText())
                .orElse("not in its status");
    }

    /** The time until {@code deadline}, at least one second. */
    private static Duration left(Instant deadline) {
        Duration d = Duration.between(Instant.now(), deadline);
        return d.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : d;
    }

    private static double seconds(Instant from, Instant to) {
        return Duration.between(from, to).toNanos() / 1e9;
    }

    private static void progress(String format, Object... args) {
        System.err.printf("bench-sites: " + format + "%n", args);
    }
}
