package dev.edgelink.lab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A network-namespace lab built with independent tools (iproute2, nft, tc, podman, containerd), never with the
 * code under test, so that a bug cannot hide itself.
 *
 * <p>Everything a lab makes carries its unique prefix {@code el-<6 hex>-}: namespaces, podman containers and
 * networks, CNI conflists. Every process it starts is recorded by PID. {@link #close()} (also run by a JVM
 * shutdown hook, and by {@link LabExtension} after each test whether it passed or not) stops and deletes all of
 * it, then checks that nothing is left and fails if something is. Traffic only flows inside its namespaces.
 *
 * <pre>{@code
 * try (Lab lab = Lab.open()) {
 *     Segment lan = lab.segment("lan", "10.1.0.0/24");
 *     Node n1 = lab.node("n1");
 *     n1.attach(lan, "10.1.0.11");
 *     ...
 * }
 * }</pre>
 */
public final class Lab implements AutoCloseable {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final String id;
    private final String prefix;
    private final Path dir;
    private final Map<String, Object> names = new LinkedHashMap<>();
    private final List<String> namespaces = new ArrayList<>();
    private final List<LabProcess> processes = new ArrayList<>();
    private final List<Fault> faults = new ArrayList<>();
    private final List<Wan> wans = new ArrayList<>();
    private final List<String[]> nftTables = new ArrayList<>();
    private final Podman podman;
    private Containerd containerd;
    private int faultCount;
    private int queueCount;
    private boolean closed;

    private Lab() {
        byte[] r = new byte[3];
        RANDOM.nextBytes(r);
        this.id = HexFormat.of().formatHex(r);
        this.prefix = "el-" + id + "-";
        try {
            this.dir = Files.createDirectories(Path.of(System.getProperty("java.io.tmpdir"), "edgelink-lab-" + id));
            Files.createDirectories(dir.resolve("logs"));
        } catch (IOException e) {
            throw new LabException("cannot create the lab directory", e);
        }
        this.podman = new Podman(this);
    }

    /**
     * Checks for root (see {@link RootGate}) and opens an empty lab. The first open in a JVM also tears down labs
     * whose JVM died without teardown (see {@link StaleLabs}).
     */
    public static Lab open() {
        RootGate.requireRoot();
        LabRegistry.sweepOnce();
        Lab lab = new Lab();
        LabRegistry.opened(lab);
        return lab;
    }

    /** The 6 hex digits that make this lab's names unique. */
    public String id() {
        return id;
    }

    /** {@code el-<id>-}: the start of every name this lab gives. */
    public String prefix() {
        return prefix;
    }

    /** This lab's directory (logs, rootfs, conflists for ctr, containerd state); deleted at teardown. */
    public Path dir() {
        return dir;
    }

    // ------------------------------------------------------------------------------------------- topology

    /** A new L2 segment (bridge in its own namespace) for {@code subnet}, e.g. {@code 10.1.0.0/24}. */
    public synchronized Segment segment(String name, String subnet) {
        Addresses.prefixLength(subnet);
        String ns = namespace(name);
        Segment s = new Segment(this, name, ns, subnet);
        names.put(name, s);
        ip("-n", ns, "link", "add", Segment.BRIDGE, "type", "bridge");
        ip("-n", ns, "link", "set", Segment.BRIDGE, "up");
        return s;
    }

    /** A new node (namespace with lo up), on no segment yet. */
    public synchronized Node node(String name) {
        Node n = new Node(this, name, namespace(name));
        names.put(name, n);
        return n;
    }

    /** A new node that forwards IPv4 between its segments. */
    public synchronized Router router(String name) {
        Router r = new Router(this, name, namespace(name));
        names.put(name, r);
        sysctl(r.netns(), true, "net.ipv4.ip_forward=1");
        return r;
    }

    /** The full namespace names made so far, in creation order. */
    public synchronized List<String> namespaces() {
        return List.copyOf(namespaces);
    }

    private String namespace(String name) {
        check();
        Addresses.name(name);
        if (names.containsKey(name)) {
            throw new IllegalArgumentException("lab name already used: " + name);
        }
        String ns = prefix + name;
        ip("netns", "add", ns);
        namespaces.add(ns);
        ip("-n", ns, "link", "set", "lo", "up");
        // IPv6 off as in lab/topology.sh: no router solicitations, DAD or MLD chatter in captures and timings.
        sysctl(ns, true, "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1");
        // Every new netns starts with bridge-nf-call-*=1 (LAB.md); a kernel without br_netfilter has no such key.
        sysctl(ns, false, "net.bridge.bridge-nf-call-iptables=0", "net.bridge.bridge-nf-call-ip6tables=0",
                "net.bridge.bridge-nf-call-arptables=0");
        return ns;
    }

    private void sysctl(String ns, boolean required, String... settings) {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns, "sysctl", "-q"));
        if (!required) {
            cmd.add("-e");
        }
        for (String s : settings) {
            cmd.add("-w");
            cmd.add(s);
        }
        ExecResult r = Commands.run(cmd);
        if (required) {
            r.check();
        }
    }

    // ------------------------------------------------------------------------------------------- commands

    /**
     * Runs {@code cmd} inside namespace {@code ns} (one of this lab's) with {@code ip netns exec} and the default
     * timeout (60 s). The result is returned unchecked; call {@link ExecResult#check()} to demand success.
     */
    public ExecResult exec(String ns, String... cmd) {
        return exec(ns, Commands.DEFAULT_TIMEOUT, cmd);
    }

    /** As {@link #exec(String, String...)} with a timeout, after which the command is killed. */
    public ExecResult exec(String ns, Duration timeout, String... cmd) {
        List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", own(ns)));
        argv.addAll(Arrays.asList(cmd));
        return Commands.run(argv, timeout, null);
    }

    /**
     * Starts a long-running process in namespace {@code ns}; stdout and stderr go to {@code logs/<name>.out} and
     * {@code .err} in {@link #dir()}. It is recorded and stopped (SIGTERM, then SIGKILL, with its descendants) at
     * teardown at the latest.
     */
    public LabProcess spawn(String ns, String name, String... cmd) {
        List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", own(ns)));
        argv.addAll(Arrays.asList(cmd));
        return spawnArgv(ns, name, argv);
    }

    synchronized LabProcess spawnArgv(String ns, String name, List<String> argv) {
        check();
        Addresses.logName(name);
        String base = name;
        int n = 1;
        while (Files.exists(dir.resolve("logs").resolve(base + ".out"))) {
            base = name + "-" + ++n;
        }
        Path out = dir.resolve("logs").resolve(base + ".out");
        Path err = dir.resolve("logs").resolve(base + ".err");
        ProcessBuilder pb = new ProcessBuilder(argv).redirectOutput(out.toFile()).redirectError(err.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        LabProcess p = new LabProcess(base, ns, argv, Commands.start(pb, argv), out, err);
        processes.add(p);
        LabRegistry.recordPid(this, p.pid());
        return p;
    }

    /** The processes started so far. */
    public synchronized List<LabProcess> processes() {
        return List.copyOf(processes);
    }

    /** Whether {@code address} answers two pings from namespace {@code ns} within about two seconds. */
    public boolean ping(String ns, String address) {
        return exec(ns, Duration.ofSeconds(5), "ping", "-n", "-q", "-c", "2", "-i", "0.2", "-W", "1",
                Addresses.ipv4(address)).ok();
    }

    boolean pingOnce(String ns, String address) {
        return exec(ns, Duration.ofSeconds(3), "ping", "-n", "-q", "-c", "1", "-W", "1",
                Addresses.ipv4(address)).ok();
    }

    /** Runs {@code ip ARGS...} on the host (iproute2 then works on our namespaces through -n / netns). */
    ExecResult ip(String... args) {
        List<String> argv = new ArrayList<>(List.of("ip"));
        argv.addAll(Arrays.asList(args));
        return Commands.run(argv).check();
    }

    ExecResult tc(String ns, String... args) {
        List<String> argv = new ArrayList<>(List.of("tc", "-n", own(ns)));
        argv.addAll(Arrays.asList(args));
        return Commands.run(argv).check();
    }

    ExecResult nft(String ns, String ruleset) {
        return Commands.run(List.of("ip", "netns", "exec", own(ns), "nft", "-f", "-"), Commands.DEFAULT_TIMEOUT,
                ruleset).check();
    }

    synchronized void nftTable(String ns, String family, String table) {
        for (String[] t : nftTables) {
            if (t[0].equals(ns) && t[1].equals(family) && t[2].equals(table)) {
                return;
            }
        }
        nftTables.add(new String[] {ns, family, table});
    }

    private synchronized List<String[]> tables() {
        return List.copyOf(nftTables);
    }

    String own(String ns) {
        if (ns == null || !ns.startsWith(prefix)) {
            throw new IllegalArgumentException("not a namespace of this lab (" + prefix + "*): " + ns);
        }
        return ns;
    }

    // ------------------------------------------------------------------------------------------- faults

    synchronized Fault bridgeFault(String ns, String description, String rules) {
        String table = "el_f" + ++faultCount;
        nft(ns, "table bridge " + table + " {\n  chain forward {\n"
                + "    type filter hook forward priority -200; policy accept;\n" + indent(rules) + "  }\n}\n");
        nftTable(ns, "bridge", table);
        return track(new Fault(description, () -> deleteTable(ns, "bridge", table)));
    }

    synchronized Fault inetFault(String ns, String description, String pre, String out, String post) {
        String table = "el_f" + ++faultCount;
        StringBuilder b = new StringBuilder("table inet " + table + " {\n");
        chain(b, "pre", "prerouting priority -300", pre);
        chain(b, "out", "output priority -300", out);
        chain(b, "post", "postrouting priority 300", post);
        nft(ns, b.append("}\n").toString());
        nftTable(ns, "inet", table);
        return track(new Fault(description, () -> deleteTable(ns, "inet", table)));
    }

    private static void chain(StringBuilder b, String name, String hook, String rules) {
        if (!rules.isEmpty()) {
            b.append("  chain ").append(name).append(" {\n    type filter hook ").append(hook)
                    .append("; policy accept;\n").append(indent(rules)).append("  }\n");
        }
    }

    private static String indent(String rules) {
        StringBuilder b = new StringBuilder();
        for (String line : rules.split("\n")) {
            b.append("    ").append(line).append('\n');
        }
        return b.toString();
    }

    private void deleteTable(String ns, String family, String table) {
        if (Namespaces.exists(ns)) {
            Commands.run(List.of("ip", "netns", "exec", ns, "nft", "delete", "table", family, table)).check();
        }
        synchronized (this) {
            nftTables.removeIf(t -> t[0].equals(ns) && t[1].equals(family) && t[2].equals(table));
        }
    }

    synchronized Fault track(Fault f) {
        faults.add(f);
        return f;
    }

    synchronized Wan wan(Segment segment, Duration oneWayDelay, double lossPercent) {
        check();
        Wan w = new Wan(this, segment, oneWayDelay, lossPercent, ++queueCount);
        wans.add(w);
        return w;
    }

    /** The WANs made so far (removed ones included). */
    public synchronized List<Wan> wans() {
        return List.copyOf(wans);
    }

    long randomSeed() {
        return RANDOM.nextLong() >>> 1;
    }

    /** The faults injected so far (removed ones included). */
    public synchronized List<Fault> faults() {
        return List.copyOf(faults);
    }

    // ------------------------------------------------------------------------------------------- runtimes

    /** Pods under podman 4.3 with its CNI backend (see {@link Podman}). */
    public Podman podman() {
        check();
        return podman;
    }

    /** A containerd of this lab's own, started on first use (see {@link Containerd}). */
    public synchronized Containerd containerd() {
        check();
        if (containerd == null) {
            containerd = Containerd.start(this);
        }
        return containerd;
    }

    private void check() {
        if (closed) {
            throw new IllegalStateException("lab " + id + " is closed");
        }
    }

    // ------------------------------------------------------------------------------------------- teardown

    /** What of this lab still exists on the machine (empty after a good {@link #close()}). */
    public List<String> leftovers() {
        List<Leftovers.QueueRule> rules = new ArrayList<>();
        for (Wan w : wans()) {
            rules.add(new Leftovers.QueueRule(w.segment().netns(), w.queue()));
        }
        return Leftovers.of(prefix, dir, LabRegistry.processes(this), podman.sandboxes(), rules);
    }

    /**
     * Tears everything down, in an order in which each step still has what it needs: containerd tasks and the
     * daemon, podman containers, WANs (so that the processes stopped next talk across plain segments), spawned
     * processes, faults and NAT tables, namespaces (killing by PID whatever still runs in them), conflists and CNI
     * state, the lab directory. Every step runs even if an earlier one failed; then the leftover check runs, and a
     * {@link LabException} lists the failures and what is left. Idempotent.
     */
    @Override
    public void close() {
        List<String> errors = new ArrayList<>();
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        step(errors, "containerd", () -> {
            if (containerd != null) {
                containerd.close();
            }
        });
        step(errors, "podman", podman::close);
        for (Wan w : wans()) {
            step(errors, "remove " + w, w::remove);
        }
        for (LabProcess p : processes()) {
            step(errors, "stop " + p, () -> p.stop(Duration.ofSeconds(3)));
        }
        for (Fault f : faults()) {
            step(errors, "remove " + f, f::remove);
        }
        for (String[] t : tables()) {
            step(errors, "nft delete table " + String.join(" ", t), () -> deleteTable(t[0], t[1], t[2]));
        }
        List<String> byAge = namespaces();
        for (int i = byAge.size() - 1; i >= 0; i--) {
            String ns = byAge.get(i);
            step(errors, "delete " + ns, () -> Namespaces.delete(ns));
        }
        step(errors, "CNI state", () -> podman.removeCniState());
        step(errors, "lab directory", () -> Namespaces.deleteTree(dir));
        LabRegistry.closed(this);
        List<String> left = leftovers();
        if (left.isEmpty()) {
            step(errors, "journal", () -> StaleLabs.end(this));
        }
        if (!errors.isEmpty() || !left.isEmpty()) {
            throw new LabException("lab " + id + " teardown: " + String.join("; ", errors)
                    + (left.isEmpty() ? "" : (errors.isEmpty() ? "" : "; ") + "left behind: " + left));
        }
    }

    private static void step(List<String> errors, String what, Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            errors.add(what + " failed: " + e.getMessage());
        }
    }

    @Override
    public String toString() {
        return "lab " + id;
    }
}
