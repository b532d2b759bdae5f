package dev.edgelink.discovery.mdns;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.edgelink.labsupport.NetnsLab;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * mDNS between real processes in lab namespaces. Each node runs {@link MdnsNode} as its own JVM under
 * {@code ip netns exec}, so every socket it opens (UDP 5353 and TCP) lives in its namespace; the test JVM itself
 * stays in the root namespace and only reads the nodes' output. Nothing is sent outside the lab's namespaces.
 *
 * <pre>
 *   a (eth0 10.77.0.1, eth1 10.78.0.1) ---+
 *   b (eth0 10.77.0.2) -------------------+-- bridge in "sw"
 *   x (eth0 10.77.0.3, another swarm key) +
 *   c (eth0 10.78.0.2) ------------------------ a's eth1 (a runs mDNS on eth0 only)
 * </pre>
 */
class MdnsLabTest {

    private static final Duration CONVERGE = Duration.ofSeconds(40);

    @TempDir
    Path dir;

    /** The lab of this test. */
    static final class MdnsLab extends NetnsLab {
        MdnsLab() {
            super("mdns", DEFAULT_COMMAND_TIMEOUT);
        }
    }

    @BeforeAll
    static void root() {
        NetnsLab.requireRoot("mDNS lab tests need root (network namespaces, veth, bridge)");
    }

    @Test
    void nodesOnOneSegmentFindEachOtherByMdnsAloneAndConverge() throws Exception {
        try (MdnsLab lab = new MdnsLab()) {
            String sw = lab.namespace("sw");
            lab.ip(sw, "link", "add", "br0", "type", "bridge");
            lab.ip(sw, "link", "set", "br0", "up");
            lab.execIn(sw, "sysctl", "-q", "-w", "net.bridge.bridge-nf-call-iptables=0");
            String a = attach(lab, sw, "a", "10.77.0.1/24");
            String b = attach(lab, sw, "b", "10.77.0.2/24");
            String x = attach(lab, sw, "x", "10.77.0.3/24");
            String c = lab.namespace("c");
            lab.ip(a, "link", "add", "eth1", "type", "veth", "peer", "name", "eth0", "netns", c);
            lab.ip(a, "addr", "add", "10.78.0.1/24", "dev", "eth1");
            lab.ip(a, "link", "set", "eth1", "up");
            lab.ip(c, "addr", "add", "10.78.0.2/24", "dev", "eth0");
            lab.ip(c, "link", "set", "eth0", "up");
            Path key = swarmKey("a1");
            Path otherKey = swarmKey("b2");

            Path logA = spawn(lab, a, "node-a", "10.244.1.0/24", key);
            Path logB = spawn(lab, b, "node-b", "10.244.2.0/24", key);
            Path logX = spawn(lab, x, "node-x", "10.244.3.0/24", otherKey);
            Path logC = spawn(lab, c, "node-c", "10.244.4.0/24", key);
            String idA = self(logA);
            String idB = self(logB);
            String idX = self(logX);
            String idC = self(logC);

            // hostile packets on the segment (a pointer loop, a truncated response, huge counts): dropped, no harm
            awaitLine(logA, "mdns started");
            String hostile = "import socket\n"
                    + "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                    + "s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton('10.77.0.2'))\n"
                    + "for h in ['000000000001000000000000c00c000c0001', '0000840000000001000000000000045f70',"
                    + " '0000ffffffffffffffffffff']:\n"
                    + "    s.sendto(bytes.fromhex(h), ('224.0.0.251', 5353))\n";
            assertTrue(lab.execIn(b, "python3", "-c", hostile) == 0, "python3 sent the hostile packets");
            awaitLine(logA, "mdns packet dropped");
            awaitLine(logA, "member " + idB + " node-b");
            awaitLine(logB, "member " + idA + " node-a");
            // x answers on the segment, so a finds it, but a different swarm key keeps it out of the mesh
            awaitLine(logA, "discovered " + idX);
            awaitLine(logX, "discovered " + idA);
            // c queries on a's eth1 every second; a never answers there nor queries there
            Thread.sleep(3000);
            assertNoLine(logA, "member " + idX);
            assertNoLine(logX, "member " + idA);
            assertNoLine(logA, idC);
            assertNoLine(logC, "discovered");
            assertNoLine(logB, "discovered " + idB);
        }
    }

    @Test
    void jsPeerAndJavaNodeFindEachOtherByMdns() throws Exception {
        Path jsDir = Path.of("").toAbsolutePath().getParent().resolve("interop/js-peer");
        assertTrue(Files.isDirectory(jsDir.resolve("node_modules/@libp2p/mdns")),
                "the js interop peer needs its node_modules in " + jsDir);
        try (MdnsLab lab = new MdnsLab()) {
            String j = lab.namespace("js");
            String k = lab.namespace("java");
            lab.ip(j, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", k);
            lab.ip(j, "addr", "add", "10.79.0.1/24", "dev", "eth0");
            lab.ip(j, "link", "set", "eth0", "up");
            lab.ip(k, "addr", "add", "10.79.0.2/24", "dev", "eth0");
            lab.ip(k, "link", "set", "eth0", "up");
            // js (multicast-dns) sends without IP_MULTICAST_IF: it needs a route for the group, as on a real LAN
            lab.ip(j, "route", "add", "224.0.0.0/4", "dev", "eth0");
            Path jsLog = dir.resolve("js.log");
            lab.spawnIn(j, List.of("node", jsDir.resolve("peer.mjs").toString(), "--mdns", "--listen",
                    "/ip4/0.0.0.0/tcp/4002", "--print-json"), jsLog);
            String jsId = awaitLine(jsLog, "\"event\":\"listening\"")
                    .replaceAll(".*\"peerId\":\"([^\"]+)\".*", "$1");
            Path javaLog = dir.resolve("java.log");
            List<String> cmd = new ArrayList<>(javaCommand());
            cmd.addAll(List.of(MdnsNode.class.getName(), "node-j", "10.244.9.0/24", "eth0"));
            lab.spawnIn(k, cmd, javaLog);
            String javaId = self(javaLog);

            String found = awaitLine(javaLog, "discovered " + jsId);
            assertTrue(found.contains("/ip4/10.79.0.1/tcp/4002/p2p/" + jsId), found);
            assertFalse(found.contains("127.0.0.1"), "a loopback address found on eth0 is dropped: " + found);
            String jsFound = awaitLine(jsLog, "\"peerId\":\"" + javaId + "\"");
            assertTrue(jsFound.contains("peer:discovery") && jsFound.contains("/ip4/10.79.0.2/tcp/4001"), jsFound);
            // the Java side dials what it found; js sees the connection
            awaitLine(jsLog, "\"remotePeer\":\"" + javaId + "\"");
        }
    }

    private static String attach(NetnsLab lab, String sw, String name, String cidr) {
        String ns = lab.namespace(name);
        lab.ip(sw, "link", "add", "p-" + name, "type", "veth", "peer", "name", "eth0", "netns", ns);
        lab.ip(sw, "link", "set", "p-" + name, "master", "br0");
        lab.ip(sw, "link", "set", "p-" + name, "up");
        lab.ip(ns, "addr", "add", cidr, "dev", "eth0");
        lab.ip(ns, "link", "set", "eth0", "up");
        return ns;
    }

    private Path swarmKey(String fill) throws IOException {
        Path p = dir.resolve("swarm-" + fill + ".key");
        Files.writeString(p, "/key/swarm/psk/1.0.0/\n/base16/\n" + fill.repeat(32) + "\n");
        return p;
    }

    private Path spawn(NetnsLab lab, String ns, String node, String podCidr, Path key) {
        Path log = dir.resolve(node + ".log");
        List<String> cmd = new ArrayList<>(javaCommand());
        cmd.addAll(List.of(MdnsNode.class.getName(), node, podCidr, "eth0", key.toString()));
        lab.spawnIn(ns, cmd, log);
        return log;
    }

    /** This JVM with the test class path, logging at info to stdout. */
    private static List<String> javaCommand() {
        return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"),
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=info", "-Dorg.slf4j.simpleLogger.logFile=System.out");
    }

    private static String self(Path log) throws Exception {
        String line = awaitLine(log, "self ");
        return line.substring("self ".length()).trim();
    }

    /** Waits for a line containing {@code text}; fails with the log when it does not come. */
    static String awaitLine(Path log, String text) throws Exception {
        long deadline = System.nanoTime() + CONVERGE.toNanos();
        while (System.nanoTime() < deadline) {
            Optional<String> hit = find(log, text);
            if (hit.isPresent()) {
                return hit.get();
            }
            Thread.sleep(100);
        }
        fail("no line with '" + text + "' in " + CONVERGE.toSeconds() + " s; " + log.getFileName() + ":\n"
                + (Files.exists(log) ? Files.readString(log) : "(no output)"));
        return null;
    }

    private static void assertNoLine(Path log, String text) throws IOException {
        Optional<String> hit = find(log, text);
        assertFalse(hit.isPresent(), "unexpected line in " + log.getFileName() + ": " + hit.orElse(""));
    }

    private static Optional<String> find(Path log, String text) throws IOException {
        if (!Files.exists(log)) {
            return Optional.empty();
        }
        return Files.readAllLines(log).stream().filter(l -> l.contains(text)).findFirst();
    }

    @Test
    void unknownInterfaceIsAClearErrorAtStart() {
        MdnsService s = new MdnsService(dev.edgelink.libp2p.peer.PeerId.fromPublicKey(
                dev.edgelink.libp2p.crypto.Keys.generateEd25519().publicKey()), List::of,
                MdnsConfig.on(List.of("nosuch0")), null, java.time.InstantSource.system(), new java.util.Random(1),
                (p, a, v) -> { }, new dev.edgelink.libp2p.threads.TaskGuard());
        Exception e = org.junit.jupiter.api.Assertions.assertThrows(
                dev.edgelink.libp2p.ConfigurationException.class, s::start);
        assertTrue(e.getMessage().contains("'nosuch0' does not exist"), e.getMessage());
    }
}
