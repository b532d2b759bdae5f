package dev.edgelink.lab;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The safety net below the shutdown hook: a JVM killed with SIGKILL runs no hook. Each open lab keeps a small
 * journal in {@value #DIR} (its owner JVM, its directory, the processes it started, its pods); a lab whose owner
 * JVM no longer runs is torn down by the next {@link Lab#open()} on the machine, by prefix, with the same steps as
 * {@link Lab#close()}. A lab whose owner is alive is never touched, so concurrent runs are safe.
 */
public final class StaleLabs {
    /** Where the journals live (tmpfs: they vanish with a reboot, as namespaces do). */
    public static final String DIR = "/run/edgelink-lab";

    private StaleLabs() {
    }

    static Path journal(String id) {
        return Path.of(DIR, id);
    }

    static void begin(Lab lab) {
        ProcessHandle me = ProcessHandle.current();
        long start = me.info().startInstant().map(i -> i.toEpochMilli()).orElse(-1L);
        append(lab.id(), "owner " + me.pid() + " " + start + "\ndir " + lab.dir() + "\n");
    }

    static void process(Lab lab, long pid, long startMillis) {
        append(lab.id(), "pid " + pid + " " + startMillis + "\n");
    }

    static void pod(Lab lab, String container, String nodeNs) {
        append(lab.id(), "pod " + container + " " + nodeNs + "\n");
    }

    static void end(Lab lab) {
        try {
            Files.deleteIfExists(journal(lab.id()));
        } catch (IOException e) {
            throw new LabException("cannot delete " + journal(lab.id()), e);
        }
    }

    private static synchronized void append(String id, String lines) {
        try {
            Files.createDirectories(Path.of(DIR));
            Files.writeString(journal(id), lines, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new LabException("cannot write the lab journal " + journal(id), e);
        }
    }

    /** Tears down every lab whose owner JVM is gone; returns what each sweep found left afterwards (if any). */
    public static List<String> sweep() {
        List<String> report = new ArrayList<>();
        Path dir = Path.of(DIR);
        if (!Files.isDirectory(dir)) {
            return report;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "[0-9a-f]*")) {
            for (Path j : ds) {
                List<String> lines = Files.readAllLines(j);
                if (!ownerAlive(lines)) {
                    report.addAll(tearDown(j.getFileName().toString(), lines));
                }
            }
        } catch (IOException e) {
            throw new LabException("cannot read the lab journals in " + DIR, e);
        }
        return report;
    }

    private static boolean ownerAlive(List<String> lines) {
        for (String l : lines) {
            String[] f = l.split(" ");
            if (f[0].equals("owner") && f.length == 3) {
                return new Leftovers.RecordedProcess(Long.parseLong(f[1]), Long.parseLong(f[2]), "owner").alive();
            }
        }
        return false;
    }

    private static List<String> tearDown(String id, List<String> lines) {
        String prefix = "el-" + id + "-";
        Path labDir = null;
        List<Leftovers.RecordedProcess> procs = new ArrayList<>();
        for (String l : lines) {
            String[] f = l.split(" ");
            if (f[0].equals("dir") && f.length == 2) {
                labDir = Path.of(f[1]);
            } else if (f[0].equals("pid") && f.length == 3) {
                procs.add(new Leftovers.RecordedProcess(Long.parseLong(f[1]), Long.parseLong(f[2]), "process"));
            } else if (f[0].equals("pod") && f.length == 3 && f[1].startsWith(prefix) && f[2].startsWith(prefix)) {
                List<String> rm = new ArrayList<>(List.of("podman", "rm", "-f", "-t", "0", f[1]));
                if (Namespaces.exists(f[2])) {
                    rm.addAll(0, List.of("nsenter", "--net=/run/netns/" + f[2]));
                }
                Commands.run(rm);
            }
        }
        for (Leftovers.RecordedProcess p : procs) {
            if (p.alive()) {
                ProcessHandle.of(p.pid()).ifPresent(h -> Commands.killTree(h, Duration.ofSeconds(2)));
            }
        }
        if (labDir != null) {
            // containerd's shims (and the tasks under them) outlive a killed daemon; they name its socket
            for (long pid : Containerd.processesNaming(labDir.resolve("containerd").toString())) {
                ProcessHandle.of(pid).ifPresent(h -> Commands.killTree(h, Duration.ofSeconds(1)));
            }
        }
        for (String ns : Namespaces.list()) {
            if (ns.startsWith(prefix)) {
                Namespaces.delete(ns);
            }
        }
        for (Path d : List.of(Leftovers.CNI_CONF_DIR, Leftovers.CNI_NETWORKS, Leftovers.CNI_RESULTS)) {
            for (Path p : Leftovers.entries(d, prefix)) {
                Namespaces.deleteTree(p);
            }
        }
        Cgroups.remove("el-" + id);
        if (labDir != null && labDir.getFileName().toString().equals("edgelink-lab-" + id)) {
            Namespaces.deleteTree(labDir);
        }
        List<String> left = Leftovers.of(prefix, labDir == null ? Path.of("/nonexistent") : labDir, procs, List.of());
        if (left.isEmpty()) {
            try {
                Files.deleteIfExists(journal(id));
            } catch (IOException e) {
                throw new LabException("cannot delete " + journal(id), e);
            }
        } else {
            System.err.println("edgelink lab: stale lab " + id + " not fully removed: " + left);
        }
        System.err.println("edgelink lab: swept stale lab " + id + " (its JVM is gone)");
        return left;
    }
}
