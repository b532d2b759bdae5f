package dev.edgelink.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Pods started by real runtimes on lab nodes, networked by Debian's reference bridge plugin. */
@Tag("lab")
@ExtendWith(LabExtension.class)
@Timeout(180)
class PodLabTest {
    @Test
    void podmanPodsOnTwoNodesReachTheirOwnNode(Lab lab) {
        long t0 = System.nanoTime();
        Topologies.Direct t = Topologies.direct(lab);
        long t1 = System.nanoTime();
        Podman podman = lab.podman();
        podman.network(t.n1(), Conflist.referenceBridge("10.244.1.0/24"));
        podman.network(t.n3(), Conflist.referenceBridge("10.244.3.0/24"));
        Pod p1 = podman.run(t.n1(), "p1");
        Pod p3 = podman.run(t.n3(), "p3");
        long t2 = System.nanoTime();
        System.out.printf("lab %s: topology %d ms, 2 podman pods %d ms (image %s)%n", lab.id(),
                (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000, podman.image());

        assertTrue(p1.ip().startsWith("10.244.1."), p1.ip());
        assertTrue(p3.ip().startsWith("10.244.3."), p3.ip());
        assertTrue(p1.ping(t.n1().address()), p1 + " -> its node n1");
        assertTrue(p3.ping(t.n3().address()), p3 + " -> its node n3");
        assertTrue(t.n1().ping(p1.ip()), "n1 -> its pod");
        assertTrue(p1.exec("cat", "/proc/1/cmdline").check().stdout().startsWith("sleep"),
                "exec runs in the container");
        assertTrue(Files.exists(p1.netnsPath()), "podman's sandbox " + p1.netnsPath());

        p1.remove();
        assertFalse(Podman.containerNames().contains(p1.name()));
        assertFalse(Files.exists(p1.netnsPath()), "sandbox gone after rm");
        p1.remove();
    }

    @Test
    void podmanRunsWithTheLabSettings(Lab lab) {
        lab.podman().image();
        assertEquals(Podman.CONTAINERS_CONF, readString(Path.of(Podman.DROP_IN)));
        String info = Commands.run(List.of("podman", "info", "--format",
                "{{.Host.OCIRuntime.Name}} {{.Host.NetworkBackend}}")).check().stdout().trim();
        assertEquals("runc cni", info);
    }

    @Test
    void containerdPodOnANodeReachesItsNode(Lab lab) {
        Node n = lab.node("n1");
        Segment lan = lab.segment("lan", "10.1.0.0/24");
        n.attach(lan, "10.1.0.11");
        long t0 = System.nanoTime();
        Containerd ctr = lab.containerd();
        long t1 = System.nanoTime();
        Pod pod = ctr.run(n, "c1", Conflist.referenceBridge("10.244.7.0/24"));
        long t2 = System.nanoTime();
        System.out.printf("lab %s: containerd up in %d ms, ctr run --cni pod (with image import) in %d ms%n",
                lab.id(), (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000);

        assertTrue(pod.ip().startsWith("10.244.7."), pod.ip());
        assertTrue(pod.ping("10.1.0.11"), pod + " -> its node");
        assertTrue(n.ping(pod.ip()), "node -> its ctr pod");
        assertFalse(Leftovers.entries(Leftovers.CNI_CONF_DIR, lab.prefix()).size() > 0,
                "ctr's conflist stays out of /etc/cni/net.d");

        Path ipam = Leftovers.CNI_NETWORKS.resolve(lab.prefix() + "n1-ctr").resolve(pod.ip());
        assertTrue(Files.exists(ipam), "host-local reserved " + ipam);
        pod.remove();
        assertFalse(Files.exists(ipam), "ctr sent CNI DEL on task exit, releasing " + ipam);
    }

    private static String readString(Path p) {
        try {
            return Files.readString(p);
        } catch (java.io.IOException e) {
            throw new LabException("cannot read " + p, e);
        }
    }
}
