package dev.edgelink.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Teardown removes everything a lab made, also when a step inside it failed or the JVM just exits. */
@Tag("lab")
@ExtendWith(LabExtension.class)
@Timeout(240)
class TeardownLabTest {
    @Test
    void teardownLeavesNoNamespaceProcessContainerOrConflist() {
        Lab lab = Lab.open();
        Topologies.Direct t = Topologies.direct(lab);
        LabProcess sleeper = t.n1().spawn("sleeper", "sleep", "300");
        lab.podman().network(t.n1(), Conflist.referenceBridge("10.244.1.0/24"));
        Pod pod = lab.podman().run(t.n1(), "p1");
        Pod ctrPod = lab.containerd().run(t.n2(), "c1", Conflist.referenceBridge("10.244.2.0/24"));
        t.router().block(t.n1().address(), t.n3().address());
        t.n1().shape("eth0", "100mbit");
        Path conflist = Leftovers.CNI_CONF_DIR.resolve(lab.prefix() + "n1.conflist");
        assertTrue(Files.exists(conflist));
        long daemon = lab.containerd().daemon().pid();

        long t0 = System.nanoTime();
        lab.close();
        System.out.printf("lab %s: teardown of 6 namespaces, a podman pod, containerd and a ctr pod: %d ms%n",
                lab.id(), (System.nanoTime() - t0) / 1_000_000);

        assertEquals(List.of(), lab.leftovers());
        assertTrue(Namespaces.list().stream().noneMatch(ns -> ns.startsWith(lab.prefix())));
        assertFalse(sleeper.alive());
        assertFalse(ProcessHandle.of(daemon).map(ProcessHandle::isAlive).orElse(false), "containerd");
        assertFalse(Podman.containerNames().contains(pod.name()));
        assertFalse(Files.exists(conflist));
        assertFalse(Files.exists(lab.dir()));
        assertFalse(Files.exists(pod.netnsPath()));
        assertTrue(ctrPod.ip().startsWith("10.244.2."));
        lab.close();
    }

    @Test
    void teardownCleansUpAfterAFailingInnerStep() {
        Lab[] opened = new Lab[1];
        LabException e = assertThrows(LabException.class, () -> {
            try (Lab lab = Lab.open()) {
                opened[0] = lab;
                Topologies.Direct t = Topologies.direct(lab);
                t.n1().spawn("sleeper", "sleep", "300");
                lab.podman().network(t.n1(), Conflist.referenceBridge("10.244.1.0/24"));
                lab.podman().run(t.n1(), "p1");
                t.n1().exec("false").check();
            }
        });
        assertTrue(e.getMessage().contains("false exited 1"), e.getMessage());
        assertEquals(List.of(), opened[0].leftovers());
    }

    @Test
    void aPodWhoseCniAddFailedIsStillRemoved() {
        Lab lab = Lab.open();
        try {
            Node n = lab.node("n1");
            // the plugin exists (so podman accepts the network) but ADD fails: a bridge name over 15 characters
            lab.podman().network(n, Conflist.template("{\"cniVersion\":\"0.4.0\",\"name\":\"@NAME@\",\"plugins\":"
                    + "[{\"type\":\"bridge\",\"bridge\":\"this-name-is-too-long\",\"ipam\":{\"type\":\"host-local\","
                    + "\"ranges\":[[{\"subnet\":\"10.244.9.0/24\"}]]}}]}"));
            LabException e = assertThrows(LabException.class, () -> lab.podman().run(n, "p1"));
            assertTrue(e.getMessage().contains("failed (add)"), e.getMessage());
            assertTrue(Podman.containerNames().contains(lab.prefix() + "n1-p1"),
                    "podman keeps the container of a failed ADD (created, not running)");
        } finally {
            lab.close();
        }
        assertEquals(List.of(), lab.leftovers());
    }

    @Test
    void theShutdownHookTearsDownALabTheJvmAbandoned() throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        ExecResult r = Commands.run(List.of(java, "-cp", System.getProperty("java.class.path"),
                LabAbandoningMain.class.getName()), Duration.ofSeconds(60), null).check();
        String[] f = r.stdout().trim().split(" ");
        String prefix = f[0];
        List<String> left = Leftovers.of(prefix, Path.of(f[1]),
                List.of(new Leftovers.RecordedProcess(Long.parseLong(f[2]), Long.parseLong(f[3]), "sleeper")),
                List.of());
        assertEquals(List.of(), left, "after the child JVM exited: " + r.describe());
    }

    @Test
    void aLabWhoseJvmWasKilledIsSweptByTheNextOpen() {
        String java = ProcessHandle.current().info().command().orElse("java");
        ExecResult r = Commands.run(List.of(java, "-cp", System.getProperty("java.class.path"),
                LabKilledMain.class.getName()), Duration.ofSeconds(120), null);
        assertEquals(137, r.exitCode(), "the child died by SIGKILL: " + r.describe());
        String[] f = r.stdout().trim().split(" ");
        String prefix = f[0];
        Path dir = Path.of(f[1]);
        List<Leftovers.RecordedProcess> procs = List.of(
                new Leftovers.RecordedProcess(Long.parseLong(f[2]), Long.parseLong(f[3]), "sleeper"),
                new Leftovers.RecordedProcess(Long.parseLong(f[4]), -1, "containerd"));
        assertTrue(Namespaces.list().contains(prefix + "n1"), "the killed JVM's lab is still there");
        assertTrue(Podman.containerNames().contains(prefix + "n1-p1"));

        StaleLabs.sweep();

        assertEquals(List.of(), Leftovers.of(prefix, dir, procs, List.of()));
        assertFalse(Files.exists(Path.of(f[5])), "the ctr task's namespace " + f[5]);
        assertTrue(Containerd.processesNaming(dir.toString()).isEmpty(), "shims of the killed lab's containerd");
        assertFalse(Files.exists(StaleLabs.journal(prefix.substring(3, 9))));
    }
}
