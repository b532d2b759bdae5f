package dev.edgelink.agent.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.edgelink.cni.client.CniClientMain;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pod MTU follows the underlay: one agent (tunnel mode vxlan) in a namespace whose underlay veth starts at MTU
 * 1500; the test lowers it to 1400 with iproute2 and expects the VXLAN device at 1350, {@code edgelink status} and a
 * CNI ADD made afterwards (result and the pod's eth0) at 1350, and one log line about the change. A tunnel device
 * MTU changed by hand is put back.
 */
@Tag("lab")
class UnderlayMtuLabTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long WAIT_MILLIS = 60_000;

    @TempDir
    Path dir;

    private static List<String> java(String... args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=info", "-Dorg.slf4j.simpleLogger.logFile=System.err",
                "-cp", System.getProperty("java.class.path"), "dev.edgelink.agent.cli.Main"));
        cmd.addAll(List.of(args));
        return cmd;
    }

    private Path config() throws Exception {
        Path file = dir.resolve("node1.yaml");
        Files.writeString(file, String.join("\n",
                "nodeName: node1",
                "podCidr: 10.244.1.0/24",
                "trust: {insecure: true}",
                "listen: [/ip4/10.0.0.1/tcp/4001]",
                "tunnelMode: vxlan",
                "userspace: false", // the pod MTU is then the VXLAN device's: underlay - 50
                "underlay: {interface: ul}",
                "stateDir: " + dir.resolve("state1"),
                "cniSocket: " + dir.resolve("cni1.sock"),
                "timeouts: {probeInterval: 300ms, probeTimeout: 300ms}",
                ""), StandardCharsets.UTF_8);
        return file;
    }

    private static int vxlanMtu(AgentLab lab, String ns) {
        return lab.ipJson(ns, "link", "show", "edgelink.vxlan").get(0).path("mtu").asInt();
    }

    /** Polls until the VXLAN device and {@code edgelink status} both report {@code mtu} (pod MTU = device MTU). */
    private static void awaitMtu(AgentLab lab, String ns, int mtu, Path log) throws Exception {
        long deadline = System.currentTimeMillis() + WAIT_MILLIS;
        String last = "";
        while (System.currentTimeMillis() < deadline) {
            AgentLab.Result r = lab.execIn(ns, java("status", "--json"));
            last = r.output();
            if (r.exit() == 0 && JSON.readTree(r.output()).at("/node/podMtu").asInt() == mtu
                    && vxlanMtu(lab, ns) == mtu) {
                return;
            }
            Thread.sleep(300);
        }
        fail("pod mtu and edgelink.vxlan not at " + mtu + " within " + WAIT_MILLIS + " ms; vxlan mtu "
                + vxlanMtu(lab, ns) + ", last status: " + last + "\nagent log:\n" + Files.readString(log));
    }

    /**
     * A CNI ADD (spec 1.1.0, whose result carries interface MTUs) through the agent's socket, as the plugin's client
     * does it; returns the parsed result.
     */
    private JsonNode cniAdd(String podNamespace) throws Exception {
        String conf = "{\"cniVersion\":\"1.1.0\",\"name\":\"el\",\"type\":\"edgelink\",\"agentSocket\":\""
                + dir.resolve("cni1.sock") + "\"}";
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = CniClientMain.run(Map.of("CNI_COMMAND", "ADD", "CNI_CONTAINERID", "mtu-test-1",
                "CNI_NETNS", AgentLab.path(podNamespace).toString(), "CNI_IFNAME", "eth0", "CNI_PATH", "/opt/cni/bin"),
                new ByteArrayInputStream(conf.getBytes(StandardCharsets.UTF_8)),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(0, exit, out + " / " + err);
        return JSON.readTree(out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void theVxlanDeviceAndNewPodsFollowAnUnderlayMtuChange() throws Exception {
        try (AgentLab lab = AgentLab.open()) {
            String a = lab.namespace("a");
            String b = lab.namespace("b");
            String pod = lab.namespace("p");
            lab.ip(a, "link", "add", "ul", "type", "veth", "peer", "name", "ul", "netns", b);
            lab.ip(a, "addr", "add", "10.0.0.1/24", "dev", "ul");
            lab.ip(a, "link", "set", "ul", "up");
            lab.ip(b, "link", "set", "ul", "up");
            Path log = dir.resolve("a.log");
            lab.spawnIn(a, java("agent", "--config", config().toString()), log);
            awaitMtu(lab, a, 1450, log);

            lab.ip(a, "link", "set", "ul", "mtu", "1400");
            awaitMtu(lab, a, 1350, log);
            JsonNode result = cniAdd(pod);
            for (JsonNode i : result.path("interfaces")) {
                assertEquals(1350, i.path("mtu").asInt(), "CNI result interface " + i);
            }
            assertEquals(1350, lab.ipJson(pod, "link", "show", "eth0").get(0).path("mtu").asInt());
            long lines = Files.readAllLines(log).stream().filter(l -> l.contains("underlay mtu changed from 1500 "
                    + "to 1400")).count();
            assertEquals(1, lines, Files.readString(log));

            lab.ip(a, "link", "set", "edgelink.vxlan", "mtu", "1300");
            awaitMtu(lab, a, 1350, log);
            assertTrue(Files.readString(log).contains("tunnel device edgelink.vxlan had mtu 1300, set back to 1350"),
                    Files.readString(log));
        }
    }
}
