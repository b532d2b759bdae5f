package dev.edgelink.lab;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * containerd 1.6 as a second real runtime: a daemon of the lab's own (root, state, socket and opt dir under the
 * lab directory, CRI plugin off), started by hand without kubelet, and pods made with {@code ctr run --cni}.
 *
 * <p>What ctr does with CNI (LAB.md, checked here): it loads the first conflist in sorted order from
 * /etc/cni/net.d (no environment variable changes that), runs the plugins itself in its own network namespace
 * with {@code CNI_NETNS=/proc/<pid>/ns/net}, and, when the task exits, sends DEL with an empty CNI_NETNS. So each
 * {@code ctr run} here runs under {@code nsenter --net=<node>} (the plugins act in the node) and under
 * {@code unshare --mount} with a private bind mount of a per-node conf dir over /etc/cni/net.d: ctr sees exactly
 * one conflist, and the machine's /etc/cni/net.d is never touched. {@code ctr run} stays in the foreground for
 * the pod's lifetime (recorded as a lab process); killing the task makes it send DEL and remove the container.
 */
public final class Containerd {
    private final Lab lab;
    private final Path dir;
    private final Path socket;
    private final String namespace;
    private final LabProcess daemon;
    private final Map<String, CtrPod> pods = new LinkedHashMap<>();
    private String image;
    private int execs;

    private Containerd(Lab lab, Path dir, LabProcess daemon) {
        this.lab = lab;
        this.dir = dir;
        this.socket = dir.resolve("containerd.sock");
        this.namespace = lab.prefix().substring(0, lab.prefix().length() - 1);
        this.daemon = daemon;
    }

    static Containerd start(Lab lab) {
        Path dir = lab.dir().resolve("containerd");
        Path config = dir.resolve("config.toml");
        try {
            Files.createDirectories(dir.resolve("root"));
            Files.createDirectories(dir.resolve("state"));
            Files.createDirectories(dir.resolve("opt"));
            Files.writeString(config, "version = 2\n"
                    + "root = \"" + dir.resolve("root") + "\"\n"
                    + "state = \"" + dir.resolve("state") + "\"\n"
                    + "disabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n"
                    + "[grpc]\n  address = \"" + dir.resolve("containerd.sock") + "\"\n"
                    + "[ttrpc]\n  address = \"" + dir.resolve("containerd.sock.ttrpc") + "\"\n"
                    + "[debug]\n  address = \"\"\n"
                    + "[metrics]\n  address = \"\"\n"
                    + "[plugins.\"io.containerd.internal.v1.opt\"]\n  path = \"" + dir.resolve("opt") + "\"\n");
        } catch (IOException e) {
            throw new LabException("cannot prepare " + dir, e);
        }
        LabProcess p = lab.spawnArgv(null, "containerd",
                List.of("containerd", "--config", config.toString()));
        Containerd c = new Containerd(lab, dir, p);
        Wait.until("containerd to answer on " + c.socket, Duration.ofSeconds(30), () -> {
            if (!p.alive()) {
                throw new LabException("containerd exited " + p.exitCode().orElse(-1) + p.tails());
            }
            return Files.exists(c.socket) && c.ctrHost(Duration.ofSeconds(5), "version").ok();
        });
        return c;
    }

    /** The daemon's socket. */
    public Path socket() {
        return socket;
    }

    /** The daemon process. */
    public LabProcess daemon() {
        return daemon;
    }

    /** The busybox image, imported into this containerd from podman's (as an OCI archive) on first use. */
    public synchronized String image() {
        if (image == null) {
            String tag = lab.podman().image();
            Path archive = dir.resolve("busybox-oci.tar");
            Commands.run(List.of("podman", "save", "-q", "--format", "oci-archive", "-o", archive.toString(), tag))
                    .check();
            ctrHost(Duration.ofSeconds(60), "images", "import", archive.toString()).check();
            image = tag;
        }
        return image;
    }

    /**
     * Starts pod {@code name} on {@code node} with {@code ctr run --cni}, its network from {@code conflist}
     * (rendered as {@code el-<id>-<node>-ctr}; the first pod on a node fixes it), and returns it once the task runs
     * and eth0 has its address.
     */
    public Pod run(Node node, String name, Conflist conflist) {
        Addresses.name(name);
        String img = image();
        String id = lab.prefix() + node.name() + "-" + name;
        Path confDir = dir.resolve("cni").resolve(node.name());
        String network = lab.prefix() + node.name() + "-ctr";
        try {
            if (!Files.isDirectory(confDir)) {
                Files.createDirectories(confDir);
                Files.writeString(confDir.resolve("10-" + network + ".conflist"), conflist.render(network));
            }
        } catch (IOException e) {
            throw new LabException("cannot write the ctr conflist in " + confDir, e);
        }
        List<String> argv = new ArrayList<>(List.of("nsenter", "--net=/run/netns/" + lab.own(node.netns()),
                "unshare", "--mount", "--propagation", "private", "sh", "-c",
                "mount --bind \"$1\" /etc/cni/net.d && shift && exec \"$@\"", "sh", confDir.toString()));
        argv.addAll(ctrArgs("run", "--cni", "--rm", "--cap-add", "CAP_NET_RAW", img, id, "sleep", "1d"));
        LabProcess run = lab.spawnArgv(node.netns(), "ctr-" + node.name() + "-" + name, argv);
        CtrPod pod = new CtrPod(node, id, run);
        synchronized (this) {
            pods.put(id, pod);
        }
        long pid = Wait.forValue("task " + id + " running", Duration.ofSeconds(60), () -> {
            if (!run.alive()) {
                throw new LabException("ctr run for " + id + " exited " + run.exitCode().orElse(-1) + run.tails());
            }
            return runningPid(id);
        });
        String ip = Wait.forValue("an address on eth0 of " + id, Duration.ofSeconds(30), () -> address(pid));
        pod.started(pid, ip);
        return pod;
    }

    private Long runningPid(String id) {
        for (String line : ctrHost(Duration.ofSeconds(10), "task", "ls").stdout().split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 3 && f[0].equals(id) && f[2].equals("RUNNING")) {
                return Long.parseLong(f[1]);
            }
        }
        return null;
    }

    private static String address(long pid) {
        ExecResult r = Commands.run(List.of("nsenter", "--net=/proc/" + pid + "/ns/net", "ip", "-j", "-4", "addr",
                "show", "dev", "eth0"));
        if (!r.ok()) {
            return null;
        }
        String ip = Podman.parse(r.stdout()).path(0).path("addr_info").path(0).path("local").asText("");
        return ip.isEmpty() ? null : ip;
    }

    List<String> ctrArgs(String... args) {
        List<String> argv = new ArrayList<>(List.of("ctr", "--address", socket.toString(), "--namespace",
                namespace));
        argv.addAll(Arrays.asList(args));
        return argv;
    }

    ExecResult ctrHost(Duration timeout, String... args) {
        return Commands.run(ctrArgs(args), timeout, null);
    }

    /** Removes the pods, stops the daemon, and kills (by PID) any runc shim it left with our socket address. */
    void close() {
        List<String> errors = new ArrayList<>();
        List<CtrPod> all;
        synchronized (this) {
            all = List.copyOf(pods.values());
        }
        for (CtrPod p : all) {
            try {
                p.remove();
            } catch (RuntimeException e) {
                errors.add(e.getMessage());
            }
        }
        daemon.stop(Duration.ofSeconds(5));
        for (long pid : shims()) {
            ProcessHandle.of(pid).ifPresent(h -> Commands.killTree(h, Duration.ofSeconds(1)));
            errors.add("a containerd shim (pid " + pid + ") outlived its tasks and was killed");
        }
        try {
            Cgroups.remove(namespace);
        } catch (RuntimeException e) {
            errors.add(e.getMessage());
        }
        if (!errors.isEmpty()) {
            throw new LabException(String.join("; ", errors));
        }
    }

    /** PIDs of processes whose command line names this daemon's socket (its shims). */
    List<Long> shims() {
        List<Long> out = new ArrayList<>();
        for (long pid : processesNaming(socket.toString())) {
            if (pid != daemon.pid()) {
                out.add(pid);
            }
        }
        return out;
    }

    /** PIDs of the processes with {@code needle} in their command line. */
    static List<Long> processesNaming(String needle) {
        List<Long> out = new ArrayList<>();
        long self = ProcessHandle.current().pid();
        try (var s = Files.list(Path.of("/proc"))) {
            for (Path p : s.filter(x -> x.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    String cmdline = new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8);
                    long pid = Long.parseLong(p.getFileName().toString());
                    if (cmdline.contains(needle) && pid != self) {
                        out.add(pid);
                    }
                } catch (IOException ignored) {
                    // the process exited while we looked
                }
            }
        } catch (IOException e) {
            throw new LabException("cannot list /proc", e);
        }
        return out;
    }

    /** A {@code ctr run --cni} task on a lab node. */
    private final class CtrPod implements Pod {
        private final Node node;
        private final String id;
        private final LabProcess run;
        private long pid;
        private String ip = "";
        private boolean removed;

        CtrPod(Node node, String id, LabProcess run) {
            this.node = node;
            this.id = id;
            this.run = run;
        }

        void started(long taskPid, String address) {
            this.pid = taskPid;
            this.ip = address;
        }

        @Override
        public String name() {
            return id;
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
            return Path.of("/proc/" + pid + "/ns/net");
        }

        @Override
        public ExecResult exec(String... cmd) {
            return exec(Commands.DEFAULT_TIMEOUT, cmd);
        }

        @Override
        public ExecResult exec(Duration timeout, String... cmd) {
            List<String> args = new ArrayList<>(List.of("task", "exec", "--exec-id", "x" + nextExec(), id));
            args.addAll(Arrays.asList(cmd));
            return ctrHost(timeout, args.toArray(String[]::new));
        }

        /** Kills the task; the foreground {@code ctr run --rm} then sends CNI DEL and deletes the container. */
        @Override
        public synchronized void remove() {
            if (removed) {
                return;
            }
            removed = true;
            ctrHost(Duration.ofSeconds(30), "task", "kill", "-s", "SIGKILL", id);
            try {
                run.awaitExit(Duration.ofSeconds(30));
            } catch (LabException e) {
                run.kill();
            }
            ctrHost(Duration.ofSeconds(30), "task", "rm", "-f", id);
            ctrHost(Duration.ofSeconds(30), "container", "rm", id);
            String left = ctrHost(Duration.ofSeconds(10), "container", "ls", "-q").stdout();
            if (Arrays.asList(left.split("\\s+")).contains(id)) {
                throw new LabException("ctr container " + id + " is still there after removal");
            }
        }

        @Override
        public String toString() {
            return "ctr pod " + id + " (" + ip + ") on " + node.name();
        }
    }

    private synchronized int nextExec() {
        return ++execs;
    }
}
