package dev.edgelink.relay.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.labsupport.NetnsLab;
import dev.edgelink.libp2p.crypto.Keys;
import dev.edgelink.libp2p.crypto.PrivKey;
import dev.edgelink.libp2p.peer.PeerId;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * DCUtR through two NAT routers, for real, in network namespaces built with iproute2 and nft:
 *
 * <pre>
 *   a 10.1.0.2 -- rA (masquerade) 198.18.1.1 -- c 198.18.1.100 | 198.18.2.100 -- 198.18.2.1 rB (masquerade) -- b
 * </pre>
 *
 * Each router drops unsolicited inbound traffic, as a home router does. c is the public node: an observer that
 * tells a node its external ip:port and a byte splice that stands in for the relay (the circuit relay is not in
 * this module yet), so a and b hold a libp2p connection through c before they punch. Plain masquerade maps one
 * local port to one public port for all destinations, so the simultaneous open meets; {@code fully-random} maps
 * per destination, so the punch must fail, cleanly, after its three rounds.
 */
@Tag("lab")
class DcutrNatLabTest {

    private static final long WINDOW_MS = 3000;
    private PunchLab lab;
    private Path dir;

    /** The lab with namespaces {@code eldc-<random>-<name>}. */
    static final class PunchLab extends NetnsLab {
        PunchLab() {
            super("eldc", DEFAULT_COMMAND_TIMEOUT);
        }
    }

    @BeforeEach
    void open() throws Exception {
        NetnsLab.requireRoot("the DCUtR lab test needs root (network namespaces, veth, nft)");
        lab = new PunchLab();
        dir = Files.createTempDirectory("edgelink-dcutr-lab");
    }

    @AfterEach
    void close() throws Exception {
        lab.close();
        assertTrue(lab.existing().isEmpty(), "namespaces left: " + lab.existing());
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    void punchSucceedsThroughTwoPortPreservingNats() throws Exception {
        List<String> out = run("masquerade");
        assertTrue(out.get(0).contains("PUNCHED"), "a: " + out.get(0));
        assertTrue(out.get(1).contains("PUNCHED"), "b: " + out.get(1));
        assertTrue(out.get(0).contains("initiator=true"), out.get(0));
        assertTrue(out.get(1).contains("initiator=false"), out.get(1));
        // b's direct connection leaves from b's router with the listen port and reaches a's router's
        assertTrue(out.get(1).contains("/tcp/4001 /ip4/198.18.1.1/tcp/4001"), out.get(1));
    }

    @Test
    void punchFailsCleanlyThroughSymmetricNats() throws Exception {
        List<String> out = run("masquerade fully-random");
        String b = out.get(1);
        assertTrue(b.contains("FAILED") && b.contains("after 3 rounds"), "b: " + b);
        assertTrue(out.get(0).contains("FAILED"), "a: " + out.get(0));
        // b's punch (from the coordination connection on) is bounded by its three dial windows plus round trips
        long ms = Long.parseLong(b.replaceAll(".* after (\\d+) ms$", "$1"));
        assertTrue(ms >= 3 * WINDOW_MS && ms < 3 * WINDOW_MS + 10_000, "b took " + ms + " ms: " + b);
    }

    /** Builds the topology with {@code nat} on both routers, runs both nodes; returns their result lines. */
    private List<String> run(String nat) throws Exception {
        String a = lab.namespace("a");
        String b = lab.namespace("b");
        String ra = lab.namespace("ra");
        String rb = lab.namespace("rb");
        String c = lab.namespace("c");
        site(a, ra, c, "1", nat);
        site(b, rb, c, "2", nat);
        lab.execIn(c, "sysctl", "-qw", "net.ipv4.ip_forward=1");
        Path script = dir.resolve("public-node.py");
        try (InputStream in = getClass().getResourceAsStream("/lab/public-node.py")) {
            Files.write(script, in.readAllBytes());
        }
        Path cLog = dir.resolve("c.log");
        lab.spawnIn(c, List.of("python3", script.toString(), "7002", "7000", "7001"), cLog);
        awaitLine(cLog, "ready", Duration.ofSeconds(10));
        PrivKey[] keys = orderedKeys();
        Path keyA = dir.resolve("a.key");
        Path keyB = dir.resolve("b.key");
        Keys.store(keys[0], keyA);
        Keys.store(keys[1], keyB);
        Process pa = node(a, "a", keyA, "198.18.1.100");
        Process pb = node(b, "b", keyB, "198.18.2.100");
        assertTrue(pa.waitFor(3 * WINDOW_MS + 60_000, TimeUnit.MILLISECONDS), "node a did not end");
        assertTrue(pb.waitFor(3 * WINDOW_MS + 60_000, TimeUnit.MILLISECONDS), "node b did not end");
        List<String> results = new ArrayList<>();
        for (String who : List.of("a", "b")) {
            String log = Files.readString(dir.resolve(who + ".log"), StandardCharsets.UTF_8);
            String result = log.lines().filter(l -> l.startsWith("PUNCHED") || l.startsWith("FAILED"))
                    .findFirst().orElse("no result in log:\n" + log);
            results.add(result);
        }
        assertEquals(results.get(0).startsWith("PUNCHED") ? 0 : 1, pa.exitValue());
        return results;
    }

    /** a's key sorts lower, so the host keeps the punched connection (a leads it) over the spliced one. */
    private static PrivKey[] orderedKeys() {
        PrivKey x = Keys.generateEd25519();
        PrivKey y = Keys.generateEd25519();
        boolean xLower = PeerId.fromPublicKey(x.publicKey()).compareTo(PeerId.fromPublicKey(y.publicKey())) < 0;
        return xLower ? new PrivKey[] {x, y} : new PrivKey[] {y, x};
    }

    private Process node(String ns, String role, Path key, String publicIp) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        String splicePort = role.equals("a") ? "7000" : "7001";
        return lab.spawnIn(ns, List.of(java, "-cp", System.getProperty("java.class.path"),
                DcutrLabNode.class.getName(), role, key.toString(), "4001", publicIp + ":7002",
                publicIp + ":" + splicePort, Long.toString(WINDOW_MS)), dir.resolve(role + ".log"));
    }

    /** Node {@code node} behind router {@code router} on 10.N.0.0/24; the router's outside is 198.18.N.1/24. */
    private void site(String node, String router, String c, String n, String nat) throws Exception {
        lab.ip(node, "link", "add", "eth0", "type", "veth", "peer", "name", "lan0", "netns", router);
        lab.ip(node, "addr", "add", "10." + n + ".0.2/24", "dev", "eth0");
        lab.ip(node, "link", "set", "eth0", "up");
        lab.ip(node, "route", "add", "default", "via", "10." + n + ".0.1");
        lab.ip(router, "addr", "add", "10." + n + ".0.1/24", "dev", "lan0");
        lab.ip(router, "link", "set", "lan0", "up");
        lab.ip(router, "link", "add", "wan0", "type", "veth", "peer", "name", "site" + n, "netns", c);
        lab.ip(router, "addr", "add", "198.18." + n + ".1/24", "dev", "wan0");
        lab.ip(router, "link", "set", "wan0", "up");
        lab.ip(router, "route", "add", "default", "via", "198.18." + n + ".100");
        lab.ip(c, "addr", "add", "198.18." + n + ".100/24", "dev", "site" + n);
        lab.ip(c, "link", "set", "site" + n, "up");
        lab.execIn(router, "sysctl", "-qw", "net.ipv4.ip_forward=1");
        Path rules = dir.resolve(router + ".nft");
        Files.writeString(rules, String.join("\n",
                "table ip edgelink_nat {",
                "  chain postrouting { type nat hook postrouting priority srcnat; oifname \"wan0\" " + nat + "; }",
                "  chain forward { type filter hook forward priority filter; policy accept;",
                "    ct state established,related accept; iifname \"wan0\" drop; }",
                "  chain input { type filter hook input priority filter; policy accept;",
                "    ct state established,related accept; iifname \"wan0\" drop; }",
                "}", ""));
        NetnsLab.Result r = lab.execIn(router, List.of("nft", "-f", rules.toString()));
        assertEquals(0, r.exit(), "nft: " + r.output());
    }

    private static void awaitLine(Path log, String line, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.exists(log) && Files.readString(log).contains(line)) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no '" + line + "' in " + log + " within " + timeout);
    }
}
