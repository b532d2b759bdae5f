package dev.edgelink.lab.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.edgelink.lab.ExecResult;
import dev.edgelink.lab.LabException;
import dev.edgelink.lab.Node;
import dev.edgelink.lab.Pod;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A pod without a container runtime: a lab namespace of its own ({@code <node>-pod}, so the lab deletes it at
 * teardown like any other) given its {@code eth0} and address by a CNI ADD straight on the node agent's socket
 * ({@link CniCalls#agent}, the request the launcher would forward). For fleets of agents on a 2-core machine, where a
 * podman or launcher JVM per pod costs more than the agents' start. {@link #remove()} is the CNI DEL.
 */
final class NamespacePod implements Pod {
    private final EdgelinkCluster cluster;
    private final Node node;
    private final Node netns;
    private final String ip;
    private final JsonNode result;
    private boolean removed;

    private NamespacePod(EdgelinkCluster cluster, Node node, Node netns, String ip, JsonNode result) {
        this.cluster = cluster;
        this.node = node;
        this.netns = netns;
        this.ip = ip;
        this.result = result;
    }

    /** Makes the namespace and calls ADD on {@code node}'s agent; fails with the agent's answer if it refused. */
    static NamespacePod add(EdgelinkCluster cluster, Node node) {
        Node netns = cluster.lab().node(node.name() + "-pod");
        EdgelinkCluster.Member m = cluster.member(node);
        JsonNode add = CniCalls.agent(m.socket(), CniCalls.env("ADD", containerId(node), "/run/netns/"
                + netns.netns(), "eth0"), config(cluster, node));
        String address = add.at("/result/ips/0/address").asText();
        if (add.has("error") || address.isEmpty()) {
            throw new LabException("CNI ADD for a pod on " + node.name() + " failed: " + add);
        }
        return new NamespacePod(cluster, node, netns, address.split("/")[0], add.get("result"));
    }

    private static ObjectNode config(EdgelinkCluster cluster, Node node) {
        return CniCalls.pluginConfig(cluster.lab().prefix() + node.name(), cluster.pluginType(),
                cluster.member(node).socket());
    }

    private static String containerId(Node node) {
        return "pod-" + node.name();
    }

    @Override
    public String name() {
        return netns.netns();
    }

    @Override
    public Node node() {
        return node;
    }

    @Override
    public String ip() {
        return ip;
    }

    @Override
    public Path netnsPath() {
        return Path.of("/run/netns", netns.netns());
    }

    @Override
    public ExecResult exec(String... cmd) {
        return netns.exec(cmd);
    }

    @Override
    public ExecResult exec(Duration timeout, String... cmd) {
        return netns.exec(timeout, cmd);
    }

    /** CNI DEL on the node's agent (the agent must still run); the namespace itself goes with the lab. */
    @Override
    public synchronized void remove() {
        if (removed) {
            return;
        }
        ObjectNode del = config(cluster, node);
        del.set("prevResult", result);
        JsonNode r = CniCalls.agent(cluster.member(node).socket(), CniCalls.env("DEL", containerId(node),
                netnsPath().toString(), "eth0"), del);
        if (r.has("error")) {
            throw new LabException("CNI DEL for the pod on " + node.name() + " failed: " + r);
        }
        removed = true;
    }
}
