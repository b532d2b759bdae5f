package dev.edgelink.discovery;

import dev.edgelink.libp2p.crypto.Keys;
import dev.edgelink.libp2p.host.Host;
import dev.edgelink.libp2p.host.HostConfig;
import dev.edgelink.libp2p.multiaddr.Multiaddr;
import dev.edgelink.libp2p.peer.PeerId;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A fleet in one JVM: N real hosts with a {@link MembershipService} each, on 127.0.0.1 only, each dialing
 * {@code degree / 2} random others (so about {@code degree} connections a node, as a connection manager with a few
 * gossip partners would keep), members never dialed by membership itself ({@code dialMembers} off). Measures how
 * long a changed record takes to be known everywhere, and what an idle fleet costs per node.
 *
 * <p>Building blocks for a larger control-plane benchmark: {@link #start}, {@link #seedViews()} (every node holds
 * every record at once, as after a long run, without N^2 signature checks), {@link #connect()},
 * {@link #propagate(int)} and {@link #idle(Duration)}. "Idle" re-issues records at the rate the record TTL gives in
 * steady state (N / (ttl - refreshMargin) a second, on random nodes), since nodes started together would otherwise
 * all refresh at the same later moment. Costs are members frames ({@link MembershipService.Stats}); when {@code ss}
 * is there, the TCP payload of the fleet's connections too (Noise, Yamux, multistream, identify and pings
 * included).
 *
 * <p>Run it as a program for a large fleet ({@code MembershipScaleSim 1000}); {@code MembershipScaleSimTest} runs
 * 100 nodes. Every node's scheduler work shares a few threads; each host has one event loop thread.
 */
public final class MembershipScaleSim implements AutoCloseable {

    static final Multiaddr LOOPBACK = Multiaddr.fromString("/ip4/127.0.0.1/tcp/0");

    /**
     * @param nodes hosts in the fleet
     * @param degree connections per node, about
     * @param gossipInterval the nodes' gossip interval
     * @param recordTtl the nodes' record lifetime (refresh margin: half of it)
     * @param pushFanout the nodes' rumour fanout
     * @param seed makes the graph and the choices repeatable
     */
    public record Settings(int nodes, int degree, Duration gossipInterval, Duration recordTtl, int pushFanout,
                           long seed) {
        public static Settings defaults(int nodes) {
            return new Settings(nodes, 8, MembershipConfig.DEFAULT_GOSSIP_INTERVAL, MembershipConfig.DEFAULT_RECORD_TTL,
                    MembershipConfig.DEFAULT_PUSH_FANOUT, 1);
        }

        MembershipConfig config() {
            return MembershipConfig.builder().gossipInterval(gossipInterval).recordTtl(recordTtl)
                    .pushFanout(pushFanout).dialMembers(false).build();
        }

        /** How often one node's record is re-issued in steady state. */
        Duration refreshInterval() {
            MembershipConfig c = config();
            return c.recordTtl().minus(c.refreshMargin());
        }
    }

    /** One node of the fleet. */
    public record SimNode(int index, Host host, MembershipStore store, MembershipService service) {
    }

    /**
     * What an idle fleet cost per node and second, on average: members frames in and out (each exchange counts at
     * both its ends), and, if measured, the TCP payload of the fleet's connections (-1 if not).
     */
    public record IdleCost(double seconds, double membersBytesPerNodePerSecond, double tcpBytesPerNodePerSecond,
                           double exchangesPerNodePerSecond, double pushesPerNodePerSecond, int refreshes) {
    }

    private final Settings settings;
    private final List<SimNode> nodes = new ArrayList<>();
    private final ScheduledExecutorService scheduler;
    private final Random random;

    private MembershipScaleSim(Settings settings) {
        this.settings = settings;
        this.random = new Random(settings.seed());
        this.scheduler = Executors.newScheduledThreadPool(Math.max(2, Runtime.getRuntime().availableProcessors()),
                r -> {
                    Thread t = new Thread(r, "sim-membership");
                    t.setDaemon(true);
                    return t;
                });
    }

    /** Starts every host and membership service; no connections yet. */
    public static MembershipScaleSim start(Settings settings) {
        MembershipScaleSim sim = new MembershipScaleSim(settings);
        MembershipConfig config = settings.config();
        for (int i = 0; i < settings.nodes(); i++) {
            Host host = Host.start(HostConfig.builder(Keys.generateEd25519()).listen(List.of(LOOPBACK))
                    .eventLoopThreads(1).build());
            MembershipStore store = MembershipStore.inMemory(config.storeLimits());
            MembershipService service = new MembershipService(host, store, config, sim.scheduler,
                    InstantSource.system(), new Random(settings.seed() * 7919 + i));
            // As large as the record of a node behind a NAT (interface and observed addresses, circuit addresses
            // through two relays), less the certificate; only the first listen address is the host's own.
            Multiaddr own = host.listenAddresses().get(0);
            String relay = PeerId.fromPublicKey(Keys.generateEd25519().publicKey()).toString();
            service.start(NodeRecord.builder("sim-" + i, host.peerId())
                    .podCidr("10." + (i >> 8) + "." + (i & 0xff) + ".0/24").site("sim")
                    .underlayAddress(UnderlayAddress.of("127.0.0.1", 0, UnderlayAddress.Kind.INTERFACE))
                    .underlayAddress(UnderlayAddress.of("fd00::" + Integer.toHexString(i + 1), 0,
                            UnderlayAddress.Kind.INTERFACE))
                    .underlayAddress(UnderlayAddress.of("127.2.0.9", 40000 + i, UnderlayAddress.Kind.OBSERVED))
                    .listenAddress(own)
                    .listenAddress(Multiaddr.fromString("/ip4/127.3.0.1/tcp/9/p2p/" + relay + "/p2p-circuit"))
                    .listenAddress(Multiaddr.fromString("/ip4/127.3.0.2/tcp/9/p2p/" + relay + "/p2p-circuit"))
                    .tunnel(TunnelCapability.VXLAN).tunnel(TunnelCapability.USERSPACE).build());
            sim.nodes.add(new SimNode(i, host, store, service));
        }
        return sim;
    }

    public List<SimNode> nodes() {
        return nodes;
    }

    /** The average size of the nodes' signed records, in bytes. */
    public int recordBytes() {
        return (int) nodes.stream().mapToInt(n -> n.service().localRecord().envelopeSize()).average().orElse(0);
    }

    /** Gives every node every node's current record, as verified objects (no signature checks). */
    public void seedViews() {
        long now = System.currentTimeMillis();
        List<SignedRecord> records = nodes.stream().map(n -> n.service().localRecord()).toList();
        for (SimNode n : nodes) {
            for (SignedRecord r : records) {
                n.store().offer(r, now);
            }
        }
    }

    /** Each node dials {@code degree / 2} random others it is not connected to yet; waits for all dials. */
    public void connect() throws Exception {
        int out = Math.max(1, settings.degree() / 2);
        List<CompletableFuture<?>> dials = new ArrayList<>();
        for (SimNode n : nodes) {
            Set<Integer> chosen = new HashSet<>();
            while (chosen.size() < Math.min(out, nodes.size() - 1)) {
                int j = random.nextInt(nodes.size());
                if (j != n.index()) {
                    chosen.add(j);
                }
            }
            for (int j : chosen) {
                SimNode other = nodes.get(j);
                dials.add(n.host().connect(other.host().listenAddresses().get(0).withPeerId(other.host().peerId()))
                        .handle((c, e) -> null));
            }
            if (dials.size() >= 64) {
                CompletableFuture.allOf(dials.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
                dials.clear();
            }
        }
        CompletableFuture.allOf(dials.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
    }

    /** Whether every node holds the same digest as node 0. */
    public boolean inStep() {
        var first = nodes.get(0).store().digest();
        return nodes.stream().allMatch(n -> n.store().digest().equals(first));
    }

    /** Connections per node: {min, average, max}. */
    public double[] connectionsPerNode() {
        int[] counts = nodes.stream().mapToInt(n -> n.host().connections().size()).toArray();
        return new double[] {Arrays.stream(counts).min().orElse(0), Arrays.stream(counts).average().orElse(0),
            Arrays.stream(counts).max().orElse(0)};
    }

    /**
     * How a change spread: the time until half, 90 %, 99 % and all of the nodes held it (all: null if not within
     * the timeout), and how late a task given to the fleet's shared scheduler at the change ran (when that is more
     * than a few milliseconds, the machine, not the protocol, is what the times measure).
     */
    public record Spread(Duration half, Duration p90, Duration p99, Duration all, Duration schedulerLag) {
        @Override
        public String toString() {
            return ms(half) + "/" + ms(p90) + "/" + ms(p99) + "/" + ms(all) + " (lag " + ms(schedulerLag) + ")";
        }

        private static String ms(Duration d) {
            return d == null ? "-" : Long.toString(d.toMillis());
        }
    }

    /**
     * Re-issues node {@code index}'s record with a changed site and waits until every node holds it.
     *
     * @return the time until the last node held it, or null if that took longer than {@code timeout}
     */
    public Duration propagate(int index, Duration timeout) throws InterruptedException {
        return spread(index, timeout).all();
    }

    /**
     * Waits until the fleet's shared scheduler runs a task within 20 ms of being given it (at most {@code timeout}):
     * after heavy work (an idle period's refreshes on a loaded machine) its backlog would otherwise be in the next
     * measurement.
     *
     * @return the last lag seen
     */
    public Duration settle(Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        Duration lag;
        do {
            long t0 = System.nanoTime();
            CompletableFuture<Duration> ran = new CompletableFuture<>();
            scheduler.execute(() -> ran.complete(Duration.ofNanos(System.nanoTime() - t0)));
            lag = ran.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (lag.toMillis() < 20) {
                return lag;
            }
            TimeUnit.MILLISECONDS.sleep(500);
        } while (System.nanoTime() < deadline);
        return lag;
    }

    /** {@link #propagate}, with the times until half, 90 % and 99 % of the nodes held the change. */
    public Spread spread(int index, Duration timeout) throws InterruptedException {
        SimNode n = nodes.get(index);
        NodeRecord r = n.service().localRecord().record();
        long t0 = System.nanoTime();
        CompletableFuture<Duration> lag = new CompletableFuture<>();
        scheduler.execute(() -> lag.complete(Duration.ofNanos(System.nanoTime() - t0)));
        long seq = n.service().update(r.toBuilder().site("moved-" + r.sequence()).build()).sequence();
        PeerId peer = n.host().peerId();
        long deadline = t0 + timeout.toNanos();
        Duration[] marks = new Duration[3];
        int[] at = {nodes.size() / 2, nodes.size() * 9 / 10, nodes.size() * 99 / 100};
        while (System.nanoTime() < deadline) {
            int holding = 0;
            for (SimNode m : nodes) {
                holding += m.store().record(peer).map(h -> h.sequence() >= seq).orElse(false) ? 1 : 0;
            }
            Duration now = Duration.ofNanos(System.nanoTime() - t0);
            for (int i = 0; i < marks.length; i++) {
                if (marks[i] == null && holding >= at[i]) {
                    marks[i] = now;
                }
            }
            if (holding == nodes.size()) {
                return new Spread(marks[0], marks[1], marks[2], now, lag.getNow(null));
            }
            TimeUnit.MILLISECONDS.sleep(5);
        }
        return new Spread(marks[0], marks[1], marks[2], null, lag.getNow(null));
    }

    /**
     * Lets the fleet run for {@code window} with records re-issued at the steady-state rate, and says what that
     * cost per node and second.
     */
    public IdleCost idle(Duration window) throws InterruptedException {
        long[] before = totals();
        long tcpBefore = tcpBytes();
        long t0 = System.nanoTime();
        long end = t0 + window.toNanos();
        double perSecond = nodes.size() / (double) settings.refreshInterval().toSeconds();
        long gapNanos = (long) (1e9 / perSecond);
        int refreshes = 0;
        for (long next = t0 + gapNanos; next < end; next += gapNanos) {
            long wait = next - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
            SimNode n = nodes.get(random.nextInt(nodes.size()));
            n.service().update(n.service().localRecord().record());
            refreshes++;
        }
        long wait = end - System.nanoTime();
        if (wait > 0) {
            TimeUnit.NANOSECONDS.sleep(wait);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        long[] after = totals();
        long tcpAfter = tcpBytes();
        double perNode = nodes.size() * seconds;
        double tcp = tcpBefore < 0 || tcpAfter < 0 ? -1 : 2.0 * (tcpAfter - tcpBefore) / perNode;
        return new IdleCost(seconds, (after[0] - before[0]) / perNode, tcp, (after[1] - before[1]) / perNode,
                (after[2] - before[2]) / perNode, refreshes);
    }

    /** {members bytes in + out, exchanges started by us, pushes started by us} summed over the fleet. */
    private long[] totals() {
        long bytes = 0;
        long syncs = 0;
        long pushes = 0;
        for (SimNode n : nodes) {
            MembershipService.Stats s = n.service().stats();
            bytes += s.bytesIn() + s.bytesOut();
            syncs += s.syncs();
            pushes += s.pushes();
        }
        // every exchange and push is counted at both ends
        return new long[] {bytes, syncs / 2, pushes / 2};
    }

    private static final Pattern PORTS = Pattern.compile("^\\S+\\s+\\S+\\s+\\S+:(\\d+)\\s+\\S+:(\\d+)");
    private static final Pattern SENT = Pattern.compile("bytes_sent:(\\d+)");
    private static final Pattern RECEIVED = Pattern.compile("bytes_received:(\\d+)");

    /**
     * TCP payload both ways of every connection between the fleet's hosts, from {@code ss} (each connection read at
     * its accepting end, where the local port is a host's listen port), or -1 when {@code ss} cannot tell.
     */
    public long tcpBytes() {
        Set<Integer> listening = new HashSet<>();
        for (SimNode n : nodes) {
            listening.add(n.host().listenAddresses().get(0).toTcpSocketAddress().getPort());
        }
        long total = 0;
        try {
            Process p = new ProcessBuilder("ss", "-tinH", "state", "established", "src", "127.0.0.1")
                    .redirectErrorStream(true).start();
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
                    StandardCharsets.US_ASCII))) {
                boolean ours = false;
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                    Matcher ports = PORTS.matcher(line);
                    if (ports.find()) {
                        ours = listening.contains(Integer.parseInt(ports.group(1)));
                        continue;
                    }
                    if (ours) {
                        total += number(SENT, line) + number(RECEIVED, line);
                        ours = false;
                    }
                }
            }
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                return -1;
            }
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
        return total;
    }

    private static long number(Pattern p, String line) {
        Matcher m = p.matcher(line);
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    @Override
    public void close() {
        for (SimNode n : nodes) {
            n.service().close();
        }
        for (SimNode n : nodes) {
            n.host().close();
        }
        scheduler.shutdownNow();
    }

    /** {@code MembershipScaleSim [nodes [degree [idle seconds [changes]]]]}: 1000, 8, 60, 10 unless given. */
    public static void main(String[] args) throws Exception {
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        int degree = args.length > 1 ? Integer.parseInt(args[1]) : 8;
        int idleSeconds = args.length > 2 ? Integer.parseInt(args[2]) : 60;
        int changes = args.length > 3 ? Integer.parseInt(args[3]) : 10;
        Settings s = Settings.defaults(n);
        s = new Settings(n, degree, s.gossipInterval(), s.recordTtl(), s.pushFanout(), s.seed());
        long t0 = System.nanoTime();
        try (MembershipScaleSim sim = start(s)) {
            sim.seedViews();
            sim.connect();
            double[] c = sim.connectionsPerNode();
            System.out.printf("%d nodes up, views seeded and connected in %.1f s; connections per node min %.0f "
                    + "avg %.1f max %.0f; records of %d bytes%n", n, (System.nanoTime() - t0) / 1e9, c[0], c[1], c[2],
                    sim.recordBytes());
            TimeUnit.SECONDS.sleep(5);
            IdleCost idle = sim.idle(Duration.ofSeconds(idleSeconds));
            System.out.printf("idle %.0f s with %d record refreshes: members frames %.0f B/s per node, TCP payload "
                    + "%.0f B/s per node, %.2f exchanges and %.2f pushes started per node per second%n",
                    idle.seconds(), idle.refreshes(), idle.membersBytesPerNodePerSecond(),
                    idle.tcpBytesPerNodePerSecond(), idle.exchangesPerNodePerSecond(), idle.pushesPerNodePerSecond());
            List<Spread> spreads = new ArrayList<>();
            for (int i = 0; i < changes; i++) {
                sim.settle(Duration.ofSeconds(60));
                spreads.add(sim.spread(sim.random.nextInt(n), Duration.ofSeconds(60)));
                TimeUnit.SECONDS.sleep(2);
            }
            System.out.printf("a changed record known to half/90%%/99%%/all of %d nodes after (ms, and how late the "
                    + "shared scheduler ran a task given it then): %s%n", n, spreads);
        }
    }
}
