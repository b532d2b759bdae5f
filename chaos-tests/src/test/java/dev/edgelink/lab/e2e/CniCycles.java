package dev.edgelink.lab.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.edgelink.lab.ExecResult;
import dev.edgelink.lab.Node;
import dev.edgelink.lab.Pod;
import java.nio.file.Files;

/** Pod create/delete cycles on one node: on the agent socket, through the launcher, and with podman run/rm. */
final class CniCycles {
    private CniCycles() {
    }

    /**
     * {@code n} ADD/DEL pairs with the node's plugin config, straight on the agent socket, into one pod namespace
     * (a lab node without links); each ADD must give an address and an eth0, each DEL must take them away.
     */
    static void agentSocket(EdgelinkCluster cluster, Node node, int n) {
        EdgelinkCluster.Member m = cluster.member(node);
        Node pod = cluster.lab().node(node.name() + "-cyc");
        String netns = "/run/netns/" + pod.netns();
        ObjectNode config = CniCalls.pluginConfig(cluster.lab().prefix() + node.name(), cluster.pluginType(),
                m.socket());
        for (int i = 0; i < n; i++) {
            String id = "cycle" + i;
            JsonNode add = CniCalls.agent(m.socket(), CniCalls.env("ADD", id, netns, "eth0"), config);
            assertFalse(add.has("error"), "ADD " + i + ": " + add);
            String ip = add.at("/result/ips/0/address").asText().split("/")[0];
            assertTrue(Files.exists(m.ipamDir().resolve(ip)), "ADD " + i + " reserved " + ip);
            if (i % 50 == 0) {
                assertTrue(pod.exec("ip", "-4", "addr", "show", "eth0").check().stdout().contains(ip + "/32"));
            }
            ObjectNode del = config.deepCopy();
            del.set("prevResult", add.get("result"));
            JsonNode r = CniCalls.agent(m.socket(), CniCalls.env("DEL", id, netns, "eth0"), del);
            assertFalse(r.has("error"), "DEL " + i + ": " + r);
            assertFalse(Files.exists(m.ipamDir().resolve(ip)), "DEL " + i + " released " + ip);
        }
        assertEquals("", pod.exec("sh", "-c", "ip -o link show | grep -v ' lo:' || true").check().stdout().trim(),
                "nothing but lo left in the pod namespace");
    }

    /** {@code n} ADD/DEL pairs through the installed launcher, as a runtime calls it (DEL with no netns). */
    static void launcher(EdgelinkCluster cluster, Node node, int n) {
        EdgelinkCluster.Member m = cluster.member(node);
        Node pod = cluster.lab().node(node.name() + "-cyl");
        ObjectNode config = CniCalls.pluginConfig(cluster.lab().prefix() + node.name(), cluster.pluginType(),
                m.socket());
        for (int i = 0; i < n; i++) {
            String id = "launcher" + i;
            ExecResult add = CniCalls.launcher(node.netns(), cluster.launcher(),
                    CniCalls.env("ADD", id, "/run/netns/" + pod.netns(), "eth0"), config);
            assertEquals(0, add.exitCode(), add.describe());
            ExecResult del = CniCalls.launcher(node.netns(), cluster.launcher(), CniCalls.env("DEL", id, null,
                    "eth0"), config);
            assertEquals(0, del.exitCode(), del.describe());
        }
        assertEquals("", pod.exec("sh", "-c", "ip -o link show | grep -v ' lo:' || true").check().stdout().trim(),
                "DEL without a netns still removed the pod's veth (its host end)");
    }

    /** {@code n} real podman run / rm cycles on the node's edgelink network. */
    static void podman(EdgelinkCluster cluster, Node node, int n) {
        for (int i = 0; i < n; i++) {
            Pod p = cluster.lab().podman().run(node, "cy" + i);
            assertTrue(p.ip().startsWith(cluster.member(node).podCidr().replace("0/24", "")), p.ip());
            p.remove();
        }
    }
}
