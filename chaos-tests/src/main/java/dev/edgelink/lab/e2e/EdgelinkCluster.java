package dev.edgelink.lab.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.edgelink.cni.LauncherInstaller;
import dev.edgelink.lab.Conflist;
import dev.edgelink.lab.ExecResult;
import dev.edgelink.lab.Lab;
import dev.edgelink.lab.LabException;
import dev.edgelink.lab.LabProcess;
import dev.edgelink.lab.Node;
import dev.edgelink.lab.Wait;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Real edgelink agents on lab nodes: one {@code edgelink agent} process per node (spawned in the node's namespace,
 * so recorded and killed by PID by the lab), each with its own state directory, CNI socket and pod CIDR
 * {@code 10.244.<i>.0/24} from the cluster CIDR {@code 10.244.0.0/16}, and the edgelink CNI launcher installed in
 * {@code /opt/cni/bin} under a name of its own, {@code edgelink-<lab id>}, so runs never share or overwrite it.
 *
 * <p>Peers come from membership: every agent but the first has the first node as its bootstrap peer (so the first
 * one is started first, and its peer id read from its log) and learns the others from the membership view, unless
 * {@link #withoutBootstrap()} was called.
 *
 * <p>{@link #close()} tears the lab down first (pods, then the agents, namespaces and the lab directory with the
 * state directories) and then removes the launcher, which the pods' CNI DEL still needed. A run whose JVM died
 * leaves a launcher behind; the next cluster removes every {@code edgelink-<id>} whose lab directory is gone.
 */
public final class EdgelinkCluster implements AutoCloseable {
    public static final String CLUSTER_CIDR = "10.244.0.0/16";
    public static final Path CNI_BIN = Path.of("/opt/cni/bin");
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The record lifetime the agents get: a node that vanishes silently leaves the others within this. */
    public static final Duration RECORD_TTL = Duration.ofSeconds(10);
    /** The agents' libp2p TCP port unless a member is given another ({@link Member#listenPort(int)}). */
    public static final int DEFAULT_LISTEN_PORT = 4001;
    private static final Duration CLI_TIMEOUT = Duration.ofSeconds(30);

    private final Lab lab;
    private final Path launcher;
    private final String classpath;
    private final Map<String, Member> members = new LinkedHashMap<>();
    private final Map<String, String> extraConfig = new LinkedHashMap<>();
    private boolean bootstrap = true;
    private boolean closed;
    private LabCa ca;

    /** One node of the cluster: its settings, files, and the agent process now running (or not). */
    public static final class Member {
        private final Node node;
        private final int index;
        private final Path stateDir;
        private final Path config;
        private final Path socket;
        private LabProcess agent;
        private List<String> jvmOptions = List.of();
        private final Map<String, String> ownConfig = new LinkedHashMap<>();
        private int starts;
        private String peerId;
        private int listenPort = DEFAULT_LISTEN_PORT;

        Member(Node node, int index, Path dir) {
            this.node = node;
            this.index = index;
            this.stateDir = dir.resolve("state");
            this.config = dir.resolve("agent.yaml");
            this.socket = dir.resolve("cni.sock");
        }

        public Node node() {
            return node;
        }

        public String name() {
            return node.name();
        }

        public String podCidr() {
            return "10.244." + index + ".0/24";
        }

        /** The node's tunnel address: the first address of its pod CIDR. */
        public String tunnelAddress() {
            return "10.244." + index + ".0";
        }

        public Path stateDir() {
            return stateDir;
        }

        public Path ipamDir() {
            return stateDir.resolve("ipam");
        }

        public Path socket() {
            return socket;
        }

        public Path configFile() {
            return config;
        }

        /** The node certificate the lab's CA signed for this member (written at each start). */
        public Path certificateFile() {
            return config.resolveSibling("node.crt");
        }

        /**
         * Where this member's agent looks for a CA revocation list (absent until a test writes one there; the agent
         * takes it within seconds and gossip carries it to every other member).
         */
        public Path revocationFile() {
            return config.resolveSibling("revocations.crl");
        }

        /** The node key the agent uses (made by the lab before the first start, so the CA can sign for it). */
        public Path keyFile() {
            return stateDir.resolve("node.key");
        }

        public Optional<LabProcess> agent() {
            return Optional.ofNullable(agent);
        }

        public String peerId() {
            return peerId;
        }

        /**
         * Adds a YAML line (a top-level key) to this member's config from its next start on, replacing the
         * cluster-wide value of that key if any (e.g. {@code site}, {@code relay}).
         */
        public Member config(String key, String yamlValue) {
            ownConfig.put(key, yamlValue);
            return this;
        }

        /**
         * The TCP port this member's agent listens on from its next start on (default {@value #DEFAULT_LISTEN_PORT}).
         * Nodes behind one NAT need ports of their own for every cross-site pair to be punchable: two pairs on the
         * same two public addresses and the same ports would need the same public 4-tuple.
         */
        public Member listenPort(int port) {
            this.listenPort = port;
            return this;
        }

        public int listenPort() {
            return listenPort;
        }

        /** The libp2p address of this member's agent ({@code /ip4/ADDR/tcp/PORT/p2p/ID}); needs a start. */
        public String multiaddr() {
            if (peerId == null) {
                throw new IllegalStateException(node.name() + "'s agent has not reported its peer id yet");
            }
            return "/ip4/" + node.address() + "/tcp/" + listenPort + "/p2p/" + peerId;
        }

        /** JVM options for this member's agent from its next start on (e.g. heap limits). */
        public void jvmOptions(List<String> options) {
            this.jvmOptions = List.copyOf(options);
        }
    }

    private EdgelinkCluster(Lab lab, Path launcher, String classpath) {
        this.lab = lab;
        this.launcher = launcher;
        this.classpath = classpath;
    }

    /**
     * Installs the launcher and registers {@code nodes} as members 1..n (pod CIDRs 10.244.1.0/24, ...); starts no
     * agent yet (see {@link #startAll()}). {@code classpath} must hold the agent and its dependencies: pass
     * {@link #runningClasspath()} from a JVM that has them.
     */
    public static EdgelinkCluster create(Lab lab, List<Node> nodes, String classpath) {
        removeStaleLaunchers();
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<Path> cp = new ArrayList<>();
        for (String e : classpath.split(File.pathSeparator)) {
            cp.add(Path.of(e));
        }
        Path launcher;
        try {
            launcher = LauncherInstaller.install(CNI_BIN, "edgelink-" + lab.id(), java, cp);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot install the edgelink CNI launcher in " + CNI_BIN, e);
        }
        EdgelinkCluster c = new EdgelinkCluster(lab, launcher, classpath);
        c.ca = LabCa.create(lab.dir().resolve("ca"), "lab-" + lab.id());
        int i = 1;
        for (Node n : nodes) {
            c.members.put(n.name(), new Member(n, i++, lab.dir().resolve("agent-" + n.name())));
        }
        return c;
    }

    /** The classpath of this JVM with every entry absolute (the launcher and the agents run with it). */
    public static String runningClasspath() {
        List<String> out = new ArrayList<>();
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (!e.isEmpty()) {
                out.add(Path.of(e).toAbsolutePath().toString());
            }
        }
        return String.join(File.pathSeparator, out);
    }

    /** Launchers of labs whose directory no longer exists (their JVM died before teardown). */
    static void removeStaleLaunchers() {
        if (!Files.isDirectory(CNI_BIN)) {
            return;
        }
        try (DirectoryStream<Path> s = Files.newDirectoryStream(CNI_BIN, "edgelink-*")) {
            for (Path p : s) {
                String id = p.getFileName().toString().substring("edgelink-".length());
                if (id.matches("[0-9a-f]{6}") && !Files.exists(Path.of("/tmp/edgelink-lab-" + id))) {
                    Files.deleteIfExists(p);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The lab's cluster CA: every member gets a certificate from it unless its config sets {@code trust}. */
    public LabCa ca() {
        return ca;
    }

    public Lab lab() {
        return lab;
    }

    /** The conflist {@code "type"}: the launcher's file name. */
    public String pluginType() {
        return launcher.getFileName().toString();
    }

    public Path launcher() {
        return launcher;
    }

    public String classpath() {
        return classpath;
    }

    public Member member(Node node) {
        return member(node.name());
    }

    public Member member(String name) {
        Member m = members.get(name);
        if (m == null) {
            throw new IllegalArgumentException("no cluster member " + name);
        }
        return m;
    }

    public List<Member> members() {
        return List.copyOf(members.values());
    }

    /** Gives no agent a bootstrap peer (from now on): they must find each other some other way, e.g. mDNS. */
    public EdgelinkCluster withoutBootstrap() {
        bootstrap = false;
        return this;
    }

    /** Adds YAML lines (top-level keys) to every agent's config written from now on, e.g. timeouts. */
    public EdgelinkCluster config(String key, String yamlValue) {
        extraConfig.put(key, yamlValue);
        return this;
    }

    /** The edgelink-only conflist of {@code node}'s pods (its agent's socket). */
    public Conflist conflist(Node node) {
        return Conflist.template(conflistJson(node, ""));
    }

    /** The conflist with {@code moreJson} (further plugin objects, comma-led) chained after edgelink. */
    public String conflistJson(Node node, String moreJson) {
        return "{\"cniVersion\":\"1.0.0\",\"name\":\"@NAME@\",\"plugins\":[" + pluginJson(node) + moreJson + "]}";
    }

    /** Our plugin's entry for {@code node}. */
    public String pluginJson(Node node) {
        return "{\"type\":\"" + pluginType() + "\",\"agentSocket\":\"" + member(node).socket + "\"}";
    }

    // ------------------------------------------------------------------------------------------- agents

    /** Starts the first member's agent, waits for its peer id, then the others', and waits until all run. */
    public void startAll() {
        List<Member> all = members();
        start(all.get(0));
        awaitRunning(all.get(0));
        for (Member m : all.subList(1, all.size())) {
            start(m);
        }
        for (Member m : all.subList(1, all.size())) {
            awaitRunning(m);
        }
    }

    /** Writes the config (first start: also the state directory with the VTEP MAC) and spawns the agent. */
    public LabProcess start(Member m) {
        if (m.agent != null && m.agent.alive()) {
            throw new IllegalStateException("the agent of " + m.name() + " is running");
        }
        writeConfig(m);
        m.starts++;
        m.agent = m.node.spawn("agent-" + m.name() + "-" + m.starts, agentCommand(m, "agent", "--config",
                m.config.toString()).toArray(String[]::new));
        return m.agent;
    }

    /** Waits (at most 60 s) for the agent's "agent started" log line and reads its peer id from it. */
    public void awaitRunning(Member m) {
        awaitRunning(m, Duration.ofSeconds(60));
    }

    /** Waits for the agent's "agent started" log line and reads its peer id from it. */
    public void awaitRunning(Member m, Duration timeout) {
        var match = m.agent.awaitOutput("agent started \\(node=" + m.name() + ", peer=([0-9A-Za-z]+)", timeout);
        m.peerId = match.group(1);
    }

    /** {@code kill -9} of the member's agent (by PID, through the lab). */
    public void kill9(Member m) {
        m.agent.kill();
        m.agent.awaitExit(Duration.ofSeconds(10));
    }

    /**
     * SIGSTOP of the member's agent: it freezes without a word (no leave, no refresh, no answer), as a node that
     * died silently. {@link #thaw} undoes it; a frozen agent is still killed by the lab's teardown (SIGKILL).
     */
    public void freeze(Member m) {
        signal(m, "STOP");
    }

    /** SIGCONT of an agent {@link #freeze frozen} before: it carries on where it stopped. */
    public void thaw(Member m) {
        signal(m, "CONT");
    }

    private void signal(Member m, String signal) {
        long pid = m.agent.pid();
        try {
            Process p = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).redirectErrorStream(true)
                    .start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (p.waitFor() != 0) {
                throw new LabException("kill -" + signal + " " + pid + " (agent of " + m.name() + "): " + out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run kill -" + signal + " " + pid, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LabException("interrupted sending SIG" + signal + " to " + pid, e);
        }
    }

    /** SIGTERM (graceful stop: the agent announces its leave); waits for the exit. */
    public int stop(Member m) {
        m.agent.stop(Duration.ofSeconds(10));
        return m.agent.awaitExit(Duration.ofSeconds(15));
    }

    /** {@code java -cp ... dev.edgelink.agent.cli.Main ARGS}, with the agent's logging. */
    public List<String> agentCommand(Member m, String... args) {
        boolean agent = "agent".equals(args[0]);
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        if (agent) {
            cmd.addAll(m.jvmOptions);
        }
        cmd.addAll(List.of("-Dorg.slf4j.simpleLogger.defaultLogLevel=" + (agent ? "info" : "warn"),
                "-Dorg.slf4j.simpleLogger.logFile=System.err", "-cp", classpath, "dev.edgelink.agent.cli.Main"));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** Runs an {@code edgelink} command in the member's namespace (status, ping ...). */
    public ExecResult cli(Member m, String... args) {
        return m.node.exec(CLI_TIMEOUT, agentCommand(m, args).toArray(String[]::new));
    }

    /** {@code edgelink status --json} in the member's namespace, parsed. */
    public JsonNode status(Member m) {
        ExecResult r = cli(m, "status", "--json").check();
        try {
            return JSON.readTree(r.stdout());
        } catch (IOException e) {
            throw new LabException("edgelink status --json printed no JSON: " + r.describe(), e);
        }
    }

    /**
     * The agent's {@code GET /status} fetched with busybox wget in the member's namespace: the same JSON as
     * {@link #status}, without a JVM start per poll.
     */
    public JsonNode statusHttp(Member m) {
        ExecResult r = m.node.exec(CLI_TIMEOUT, "busybox", "wget", "-q", "-O", "-", "http://127.0.0.1:9473/status")
                .check();
        try {
            return JSON.readTree(r.stdout());
        } catch (IOException e) {
            throw new LabException("GET /status gave no JSON: " + r.describe(), e);
        }
    }

    /** The agent's {@code GET /metrics} (Prometheus text), fetched like {@link #statusHttp}. */
    public String metricsHttp(Member m) {
        return m.node.exec(CLI_TIMEOUT, "busybox", "wget", "-q", "-O", "-", "http://127.0.0.1:9473/metrics").check()
                .stdout();
    }

    /**
     * The sum of the samples of {@code family} in Prometheus text whose labels contain {@code labelFilter}
     * ("" for all); 0 when there are none.
     */
    public static double metricSum(String metrics, String family, String labelFilter) {
        double sum = 0;
        for (String line : metrics.split("\n")) {
            if ((line.startsWith(family + "{") || line.startsWith(family + " ")) && line.contains(labelFilter)) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    /** The peer entry for {@code peer} in {@code status}, if any. */
    public static Optional<JsonNode> peer(JsonNode status, String peer) {
        for (JsonNode p : status.path("peers")) {
            if (peer.equals(p.path("node").asText())) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** Waits until {@code m}'s status shows {@code peer} ACTIVE on {@code path}; returns that peer entry. */
    public JsonNode awaitPath(Member m, String peer, String path, Duration timeout) {
        JsonNode[] last = new JsonNode[1];
        try {
            return Wait.forValue(m.name() + " sees " + peer + " ACTIVE on " + path, timeout, () -> {
                JsonNode s = statusHttp(m);
                last[0] = s;
                return peer(s, peer).filter(p -> path.equals(p.path("path").asText())
                        && "ACTIVE".equals(p.path("state").asText())).orElse(null);
            });
        } catch (LabException e) {
            throw new LabException(e.getMessage() + "; last status: " + last[0] + agentTail(m), e);
        }
    }

    /** Waits until {@code m}'s status shows {@code peer} ACTIVE on whatever path; returns that path. */
    public String awaitActive(Member m, String peer, Duration timeout) {
        JsonNode[] last = new JsonNode[1];
        try {
            return Wait.forValue(m.name() + " sees " + peer + " ACTIVE", timeout, () -> {
                JsonNode s = statusHttp(m);
                last[0] = s;
                return peer(s, peer).filter(p -> "ACTIVE".equals(p.path("state").asText()))
                        .map(p -> p.path("path").asText()).orElse(null);
            });
        } catch (LabException e) {
            throw new LabException(e.getMessage() + "; last status: " + last[0] + agentTail(m), e);
        }
    }

    /** The lines of the member's current agent log that match {@code regex} (anywhere in the line). */
    public List<String> logLines(Member m, String regex) {
        if (m.agent == null) {
            return List.of();
        }
        Pattern p = Pattern.compile(regex);
        return m.agent.stderr().lines().filter(l -> p.matcher(l).find()).toList();
    }

    /**
     * Every member's {@code GET /status} (or why it could not be read) and agent log tail: what a failing
     * cluster test prints.
     */
    public String describe() {
        StringBuilder b = new StringBuilder();
        for (Member m : members()) {
            b.append("\n=== ").append(m.name()).append(" status: ");
            try {
                b.append(statusHttp(m));
            } catch (RuntimeException e) {
                b.append("unavailable (").append(e.getMessage()).append(')');
            }
            b.append(agentTail(m));
        }
        return b.toString();
    }

    /** The last lines of the member's current agent log (for failure messages). */
    public String agentTail(Member m) {
        if (m.agent == null) {
            return "";
        }
        String err = m.agent.stderr();
        String[] lines = err.split("\n");
        return "\n--- " + m.name() + " agent log (tail) ---\n"
                + String.join("\n", List.of(lines).subList(Math.max(0, lines.length - 30), lines.length));
    }

    /**
     * Signs this member's certificate for what its config says (pod CIDR, site, relay server) and returns its
     * {@code trust} line. The node key is made first if missing: the certificate names its peer id.
     */
    private String certify(Member m, Map<String, String> extra) {
        try {
            if (!Files.isDirectory(m.stateDir)) {
                Files.createDirectories(m.stateDir, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rwx------")));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the state directory of " + m.name(), e);
        }
        String site = extra.getOrDefault("site", "").replace("'", "").replace("\"", "").trim();
        boolean relay = extra.getOrDefault("relay", "").replaceAll("\\s", "").contains("server:true");
        ca.signTo(m.certificateFile(), m.name(), LabCa.peerOf(m.keyFile()), List.of(m.podCidr()), site, relay);
        return "trust: {caFiles: [" + ca.certificateFile() + "], certFile: " + m.certificateFile()
                + ", revocationFile: " + m.revocationFile() + "}";
    }

    private void writeConfig(Member m) {
        List<String> lines = new ArrayList<>(List.of(
                "nodeName: " + m.name(),
                "podCidr: " + m.podCidr(),
                "clusterCidr: " + CLUSTER_CIDR,
                "listen: [/ip4/" + m.node.address() + "/tcp/" + m.listenPort + "]",
                "stateDir: " + m.stateDir,
                "cniSocket: " + m.socket));
        Member first = members().get(0);
        if (bootstrap && m != first && first.peerId != null) {
            lines.add("bootstrapPeers: [" + first.multiaddr() + "]");
        }
        Map<String, String> extra = new LinkedHashMap<>(extraConfig);
        extra.putAll(m.ownConfig);
        extra.forEach((k, v) -> lines.add(k + ": " + v));
        if (!extra.containsKey("trust")) {
            lines.add(certify(m, extra));
        }
        if (!extra.containsKey("timeouts")) {
            lines.add("timeouts: {probeInterval: 300ms, probeTimeout: 300ms, gossipInterval: 500ms, recordTtl: "
                    + RECORD_TTL.toSeconds() + "s}");
        }
        try {
            if (!Files.isDirectory(m.stateDir)) {
                Files.createDirectories(m.stateDir, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rwx------")));
            }
            Files.writeString(m.config, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the agent config of " + m.name(), e);
        }
    }

    /**
     * Tears the lab down (pods with their CNI DEL while the agents still run, then agents, namespaces, state), then
     * removes the launcher even when the teardown failed. Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            lab.close();
        } finally {
            try {
                Files.deleteIfExists(launcher);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot remove " + launcher, e);
            }
        }
    }
}
