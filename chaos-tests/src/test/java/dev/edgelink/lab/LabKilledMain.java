package dev.edgelink.lab;

import java.time.Duration;

/**
 * Run in a child JVM by {@link TeardownLabTest}: opens a lab with a process, a podman pod and a ctr pod, prints
 * its prefix, directory and PIDs, then dies by SIGKILL, so that no shutdown hook runs.
 */
public final class LabKilledMain {
    private LabKilledMain() {
    }

    /** Entry point. */
    public static void main(String[] args) throws java.io.IOException {
        Lab lab = Lab.open();
        Segment s = lab.segment("lan", "10.9.0.0/24");
        Node n = lab.node("n1");
        n.attach(s, "10.9.0.1");
        LabProcess p = n.spawn("sleeper", "sleep", "300");
        lab.podman().network(n, Conflist.referenceBridge("10.244.1.0/24"));
        lab.podman().run(n, "p1");
        Pod c = lab.containerd().run(n, "c1", Conflist.referenceBridge("10.244.2.0/24", "cni1"));
        System.out.println(lab.prefix() + " " + lab.dir() + " " + p.pid() + " " + p.started().toEpochMilli() + " "
                + lab.containerd().daemon().pid() + " " + c.netnsPath());
        System.out.flush();
        // not through Commands.run, whose temporary output files would outlive us
        new ProcessBuilder("kill", "-9", Long.toString(ProcessHandle.current().pid())).start();
        Commands.sleep(Duration.ofSeconds(30));
    }
}
