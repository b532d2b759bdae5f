package dev.edgelink.lab;

/**
 * Run in a child JVM by {@link TeardownLabTest}: opens a lab, starts things in it, prints its prefix, directory
 * and the PID it spawned, and exits without closing it, leaving the cleanup to the shutdown hook.
 */
public final class LabAbandoningMain {
    private LabAbandoningMain() {
    }

    /** Entry point. */
    public static void main(String[] args) {
        Lab lab = Lab.open();
        Segment s = lab.segment("lan", "10.9.0.0/24");
        Node n = lab.node("n1");
        n.attach(s, "10.9.0.1");
        LabProcess p = n.spawn("sleeper", "sleep", "300");
        System.out.println(lab.prefix() + " " + lab.dir() + " " + p.pid() + " "
                + p.started().toEpochMilli());
        System.out.flush();
        System.exit(0);
    }
}
