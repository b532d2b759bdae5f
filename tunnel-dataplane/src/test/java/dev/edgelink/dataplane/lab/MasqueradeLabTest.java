package dev.edgelink.dataplane.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.dataplane.nat.Masquerade;
import dev.edgelink.net.IpPrefix;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A node with two pods (10.244.1.2 and, standing in for a pod on another node, 10.244.2.2) and an "outside" host
 * that has no route back to the pod network: only masqueraded traffic can get an answer from it.
 */
@Tag("lab")
class MasqueradeLabTest {

    private static long counted(Lab lab, String ns) {
        String out = lab.run("ip", "netns", "exec", ns, "nft", "list", "table", "ip", "elcount");
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("packets (\\d+)").matcher(out);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    /** Counts echo requests from {@code source} arriving in {@code ns}. */
    private static void countFrom(Lab lab, String ns, String source) {
        lab.run("ip", "netns", "exec", ns, "nft", "add table ip elcount; add chain ip elcount in { type filter hook"
                + " input priority 0; policy accept; }; add rule ip elcount in ip saddr " + source
                + " icmp type echo-request counter");
    }

    @Test
    void podEgressLeavingTheClusterIsMasqueradedAndPodToPodKeepsItsSource() {
        Lab lab = Lab.open("elb");
        try {
            String node = lab.namespace("node");
            String pod = lab.namespace("pod");
            String otherPod = lab.namespace("pod2");
            String outside = lab.namespace("outside");
            lab.execIn(node, "sysctl", "-qw", "net.ipv4.ip_forward=1");
            connect(lab, node, "vp1", "10.244.1.1/24", pod, "10.244.1.2/24", "10.244.1.1");
            connect(lab, node, "vp2", "10.244.2.1/24", otherPod, "10.244.2.2/24", "10.244.2.1");
            connect(lab, node, "ext", "192.0.2.1/24", outside, "192.0.2.2/24", null);
            countFrom(lab, outside, "192.0.2.1");
            countFrom(lab, otherPod, "10.244.1.2");
            List<String> nft = List.of("ip", "netns", "exec", node, "nft");
            Masquerade masq = new Masquerade(nft, IpPrefix.parse("10.244.0.0/16"));

            assertNotEquals(0, ping(lab, pod, "192.0.2.2"), "without masquerade the outside cannot answer");

            masq.ensure();
            String once = lab.run("ip", "netns", "exec", node, "nft", "list", "ruleset");
            masq.ensure();
            assertEquals(once, lab.run("ip", "netns", "exec", node, "nft", "list", "ruleset"), "idempotent");
            assertEquals(0, ping(lab, pod, "192.0.2.2"), "pod -> outside, masqueraded");
            assertTrue(counted(lab, outside) >= 2, "the outside saw the node's address");
            assertEquals(0, ping(lab, pod, "10.244.2.2"), "pod -> pod");
            assertTrue(counted(lab, otherPod) >= 2, "the other pod saw the pod's own address");

            masq.remove();
            masq.remove();
            assertEquals("", lab.run("ip", "netns", "exec", node, "nft", "list", "ruleset").trim());
            assertNotEquals(0, ping(lab, pod, "192.0.2.2"), "masquerade is gone with our table");
        } finally {
            lab.close();
        }
        assertEquals(List.of(), lab.existing());
    }

    @Test
    void outerVxlanPacketsAreNotTrackedWhileOtherUdpIs() {
        Lab lab = Lab.open("elb");
        try {
            String node = lab.namespace("node");
            String peer = lab.namespace("peer");
            connect(lab, node, "ul", "10.0.0.1/24", peer, "10.0.0.2/24", null);
            new Masquerade(List.of("ip", "netns", "exec", node, "nft"), IpPrefix.parse("10.244.0.0/16"),
                    OptionalInt.of(8472)).ensure();

            assertEquals(0, lab.execIn(node, "bash", "-c",
                    "echo x > /dev/udp/10.0.0.2/8472; echo x > /dev/udp/10.0.0.2/8473"));
            assertEquals(0, lab.execIn(peer, "bash", "-c",
                    "echo x > /dev/udp/10.0.0.1/8472; echo x > /dev/udp/10.0.0.1/8474"));
            String tracked = lab.run("ip", "netns", "exec", node, "conntrack", "-L", "-p", "udp");

            assertFalse(tracked.contains("dport=8472"), "outer VXLAN packets are not tracked:\n" + tracked);
            assertTrue(tracked.contains("dport=8473"), "other UDP sent is tracked:\n" + tracked);
            assertTrue(tracked.contains("dport=8474"), "other UDP received is tracked:\n" + tracked);
        } finally {
            lab.close();
        }
        assertEquals(List.of(), lab.existing());
    }

    private static int ping(Lab lab, String ns, String to) {
        return lab.execIn(ns, "ping", "-c", "2", "-i", "0.2", "-W", "1", to);
    }

    private static void connect(Lab lab, String node, String dev, String nodeAddr, String other, String otherAddr,
                                String gateway) {
        lab.ip(node, "link", "add", dev, "type", "veth", "peer", "name", "eth0", "netns", other);
        lab.ip(node, "addr", "add", nodeAddr, "dev", dev);
        lab.ip(node, "link", "set", dev, "up");
        lab.ip(other, "addr", "add", otherAddr, "dev", "eth0");
        lab.ip(other, "link", "set", "eth0", "up");
        if (gateway != null) {
            lab.ip(other, "route", "add", "default", "via", gateway);
        }
    }
}
