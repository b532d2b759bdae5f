package dev.edgelink.lab;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The inventory of what a lab may leave on the machine, looked up with the same tools an operator would use. A
 * lab is clean when this is empty for its prefix.
 */
public final class Leftovers {
    /** Where podman and the Debian CNI plugins look for conflists. */
    static final Path CNI_CONF_DIR = Path.of("/etc/cni/net.d");
    /** host-local IPAM state, one directory per network name. */
    static final Path CNI_NETWORKS = Path.of("/var/lib/cni/networks");
    /** The CNI result cache of libcni, one file per network, container and interface. */
    static final Path CNI_RESULTS = Path.of("/var/lib/cni/results");

    private Leftovers() {
    }

    /**
     * What exists of a lab with prefix {@code prefix}: namespaces, podman containers, conflists, CNI state,
     * recorded processes still alive, podman sandboxes (container namespaces), containerd's cgroups, mounts under
     * and the directory
     * {@code dir} itself.
     */
    public static List<String> of(String prefix, Path dir, List<RecordedProcess> processes, List<Path> sandboxes) {
        return of(prefix, dir, processes, sandboxes, List.of());
    }

    /** As {@link #of(String, Path, List, List)}, plus the WANs' NFQUEUE rules still in place. */
    public static List<String> of(String prefix, Path dir, List<RecordedProcess> processes, List<Path> sandboxes,
            List<QueueRule> queueRules) {
        List<String> left = new ArrayList<>();
        for (String ns : Namespaces.list()) {
            if (ns.startsWith(prefix)) {
                left.add("namespace " + ns);
            }
        }
        for (String c : Podman.containerNames()) {
            if (c.startsWith(prefix)) {
                left.add("podman container " + c);
            }
        }
        for (Path p : List.of(CNI_CONF_DIR, CNI_NETWORKS, CNI_RESULTS)) {
            for (Path f : entries(p, prefix)) {
                left.add("file " + f);
            }
        }
        for (QueueRule r : queueRules) {
            if (r.present()) {
                left.add("iptables rule " + r);
            }
        }
        for (RecordedProcess p : processes) {
            if (p.alive()) {
                left.add("process " + p);
            }
        }
        for (Path s : sandboxes) {
            if (Files.exists(s)) {
                left.add("container namespace " + s);
            }
        }
        for (Path c : Cgroups.named(prefix.substring(0, prefix.length() - 1))) {
            left.add("cgroup " + c);
        }
        for (String m : Namespaces.mountsUnder(dir)) {
            left.add("mount " + m);
        }
        if (Files.exists(dir)) {
            left.add("directory " + dir);
        }
        return left;
    }

    /** Entries of {@code dir} whose name starts with {@code prefix}. */
    static List<Path> entries(Path dir, String prefix) {
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, prefix + "*")) {
            ds.forEach(out::add);
        } catch (IOException e) {
            throw new LabException("cannot list " + dir, e);
        }
        return out;
    }

    /**
     * The NFQUEUE rule of a {@link Wan}: {@code -A FORWARD -j NFQUEUE --queue-num queue} in namespace {@code netns}
     * (it goes with the namespace).
     *
     * @param netns the segment's namespace
     * @param queue the queue number
     */
    public record QueueRule(String netns, int queue) {
        /** Whether the rule is there ({@code iptables-nft -S FORWARD} in the namespace, if it still exists). */
        public boolean present() {
            if (!Namespaces.exists(netns)) {
                return false;
            }
            String rules = Commands.run(List.of("ip", "netns", "exec", netns, "iptables-nft", "-w", "-S", "FORWARD"))
                    .check().stdout();
            return rules.lines().anyMatch(l -> l.endsWith("-j NFQUEUE --queue-num " + queue));
        }

        @Override
        public String toString() {
            return "-A FORWARD -j NFQUEUE --queue-num " + queue + " in " + netns;
        }
    }

    /**
     * A process a lab started, identified by PID and start time so that a recycled PID is not mistaken for it.
     *
     * @param pid the PID
     * @param startMillis its start time in epoch milliseconds as the kernel reports it, or -1 if unknown
     * @param what what it was
     */
    public record RecordedProcess(long pid, long startMillis, String what) {
        /** Whether this very process still runs. */
        public boolean alive() {
            return ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
                    .filter(h -> startMillis < 0 || h.info().startInstant()
                            .map(i -> Math.abs(i.toEpochMilli() - startMillis) < 1000).orElse(true))
                    .isPresent();
        }

        @Override
        public String toString() {
            return what + " (pid " + pid + ")";
        }
    }
}
