package dev.edgelink.lab;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Pods under podman 4.3 with its CNI backend, the way LAB.md found to work here.
 *
 * <ul>
 *   <li>Settings: a drop-in {@value #DROP_IN} (runc, CNI backend, plugin dirs, ulimits) that leaves the machine's
 *       own containers.conf untouched; written only if its content differs, and kept (a machine setting, like
 *       the packages scripts/setup.sh installs).</li>
 *   <li>Image: busybox-static in a rootfs, {@code podman import}ed as {@code localhost/edgelink-lab-busybox:<sha>}
 *       keyed by the busybox binary's hash, so it is imported once and then reused by every lab and run.</li>
 *   <li>Networks: one conflist per node, named {@code el-<id>-<node>}, written to /etc/cni/net.d and removed at
 *       teardown with its host-local and result-cache state.</li>
 *   <li>Every podman command for a pod runs under {@code nsenter --net=/run/netns/<node>} (never
 *       {@code ip netns exec}, which remounts /sys and hides cgroups), so the CNI plugins run in the node.</li>
 * </ul>
 */
public final class Podman {
    /** The containers.conf drop-in the lab writes. */
    public static final String DROP_IN = "/etc/containers/containers.conf.d/50-edgelink-lab.conf";
    static final String CONTAINERS_CONF = "[containers]\n"
            + "default_ulimits = [\"nofile=20000:20000\", \"nproc=4096:4096\"]\n\n"
            + "[engine]\n"
            + "# crun fails on this cgroup setup (LAB.md)\n"
            + "runtime = \"runc\"\n\n"
            + "[network]\n"
            + "network_backend = \"cni\"\n"
            + "cni_plugin_dirs = [\"/opt/cni/bin\", \"/usr/lib/cni\"]\n"
            + "network_config_dir = \"/etc/cni/net.d\"\n";
    private static final String PODMAN = "/usr/bin/podman";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Lab lab;
    private final Map<String, Path> networks = new LinkedHashMap<>();
    private final List<PodmanPod> pods = new ArrayList<>();
    private String image;

    Podman(Lab lab) {
        this.lab = lab;
    }

    /** Writes the containers.conf drop-in if it is missing or different. Idempotent. */
    public static void ensureConfigured() {
        Path p = Path.of(DROP_IN);
        try {
            if (Files.exists(p) && Files.readString(p).equals(CONTAINERS_CONF)) {
                return;
            }
            Files.createDirectories(p.getParent());
            Path tmp = Files.createTempFile(p.getParent(), ".edgelink-lab", ".tmp");
            Files.writeString(tmp, CONTAINERS_CONF);
            Files.move(tmp, p, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new LabException("cannot write " + DROP_IN, e);
        }
    }

    /** The busybox image, imported if this machine does not have it yet. */
    public synchronized String image() {
        if (image == null) {
            ensureConfigured();
            String tag = "localhost/edgelink-lab-busybox:" + sha256(Path.of("/bin/busybox")).substring(0, 12);
            if (!Commands.run(List.of(PODMAN, "image", "exists", tag)).ok()) {
                Path tar = BusyboxRootfs.tar(lab.dir().resolve("busybox-rootfs"));
                Commands.run(List.of(PODMAN, "import", "-q", tar.toString(), tag)).check();
            }
            image = tag;
        }
        return image;
    }

    /**
     * Writes the CNI network of {@code node}: {@code conflist} rendered with the name {@code el-<id>-<node>}, in
     * /etc/cni/net.d. One network per node.
     */
    public synchronized String network(Node node, Conflist conflist) {
        String name = lab.prefix() + node.name();
        if (networks.containsKey(name)) {
            throw new IllegalStateException(node + " already has a pod network");
        }
        Path file = Leftovers.CNI_CONF_DIR.resolve(name + ".conflist");
        networks.put(name, file);
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, conflist.render(name));
        } catch (IOException e) {
            throw new LabException("cannot write " + file, e);
        }
        return name;
    }

    /**
     * Starts pod {@code name} on {@code node}: {@code podman run -d --network <node's network> --cap-add NET_RAW
     * --name el-<id>-<node>-<name> [runArgs] <busybox> sleep 1d} under the node's namespace, and returns it with
     * the address CNI gave it. {@code runArgs} go before the image, e.g. {@code --ip 10.244.1.9}.
     */
    public Pod run(Node node, String name, String... runArgs) {
        Addresses.name(name);
        String network = lab.prefix() + node.name();
        synchronized (this) {
            if (!networks.containsKey(network)) {
                throw new IllegalStateException(node + " has no pod network; call network(node, conflist) first");
            }
        }
        String img = image();
        PodmanPod pod = new PodmanPod(node, network + "-" + name);
        synchronized (this) {
            pods.add(pod);
        }
        StaleLabs.pod(lab, pod.name(), node.netns());
        List<String> argv = new ArrayList<>(List.of("run", "-d", "--network", network, "--cap-add", "NET_RAW",
                "--name", pod.name()));
        argv.addAll(Arrays.asList(runArgs));
        argv.addAll(List.of(img, "sleep", "1d"));
        podman(node, Duration.ofSeconds(120), argv.toArray(String[]::new)).check();
        JsonNode inspect = parse(podman(node, Duration.ofSeconds(30), "inspect", pod.name()).check().stdout())
                .path(0).path("NetworkSettings");
        pod.started(inspect.path("Networks").path(network).path("IPAddress").asText(""),
                Path.of(inspect.path("SandboxKey").asText("")));
        if (pod.ip().isEmpty()) {
            throw new LabException(pod.name() + " has no address on " + network + ": " + inspect);
        }
        return pod;
    }

    /** The pods started so far (removed ones included). */
    public synchronized List<Pod> pods() {
        return List.copyOf(pods);
    }

    /** {@code nsenter --net=/run/netns/<node> podman ARGS...}; unchecked. */
    public ExecResult podman(Node node, Duration timeout, String... args) {
        List<String> argv = new ArrayList<>(List.of("nsenter", "--net=/run/netns/" + lab.own(node.netns()),
                PODMAN));
        argv.addAll(Arrays.asList(args));
        return Commands.run(argv, timeout, null);
    }

    synchronized List<Path> sandboxes() {
        List<Path> out = new ArrayList<>();
        for (PodmanPod p : pods) {
            if (p.sandbox != null && !p.sandbox.toString().isEmpty()) {
                out.add(p.sandbox);
            }
        }
        return out;
    }

    /** Removes every pod of the lab that is still there, then the conflists. */
    void close() {
        List<String> errors = new ArrayList<>();
        for (Pod p : pods()) {
            try {
                p.remove();
            } catch (RuntimeException e) {
                errors.add(e.getMessage());
            }
        }
        synchronized (this) {
            for (Path f : networks.values()) {
                try {
                    Files.deleteIfExists(f);
                } catch (IOException e) {
                    errors.add("cannot delete " + f + ": " + e);
                }
            }
        }
        if (!errors.isEmpty()) {
            throw new LabException(String.join("; ", errors));
        }
    }

    /** Deletes host-local and result-cache state of this lab's networks (podman's and ctr's). */
    void removeCniState() {
        for (Path dir : List.of(Leftovers.CNI_NETWORKS, Leftovers.CNI_RESULTS)) {
            for (Path p : Leftovers.entries(dir, lab.prefix())) {
                Namespaces.deleteTree(p);
            }
        }
    }

    /** Names of all podman containers on the machine (empty if podman is not installed). */
    static List<String> containerNames() {
        if (!Files.isExecutable(Path.of(PODMAN))) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        for (String line : Commands.run(List.of(PODMAN, "ps", "-a", "--format", "{{.Names}}")).check().stdout()
                .split("\n")) {
            if (!line.isBlank()) {
                out.add(line.trim());
            }
        }
        return out;
    }

    static JsonNode parse(String json) {
        try {
            return JSON.readTree(json.isBlank() ? "[]" : json);
        } catch (IOException e) {
            throw new LabException("cannot parse JSON: " + json, e);
        }
    }

    static String sha256(Path file) {
        try (InputStream in = new DigestInputStream(Files.newInputStream(file),
                MessageDigest.getInstance("SHA-256"))) {
            MessageDigest md = ((DigestInputStream) in).getMessageDigest();
            in.transferTo(java.io.OutputStream.nullOutputStream());
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException | NoSuchAlgorithmException e) {
            throw new LabException("cannot hash " + file + " (is busybox-static installed?)", e);
        }
    }

    /** A podman container on a lab node. */
    private final class PodmanPod implements Pod {
        private final Node node;
        private final String name;
        private String ip = "";
        private Path sandbox;
        private boolean removed;

        PodmanPod(Node node, String name) {
            this.node = node;
            this.name = name;
        }

        void started(String address, Path sandboxKey) {
            this.ip = address;
            this.sandbox = sandboxKey;
        }

        @Override
        public String name() {
            return name;
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
            return sandbox;
        }

        @Override
        public ExecResult exec(String... cmd) {
            return exec(Commands.DEFAULT_TIMEOUT, cmd);
        }

        @Override
        public ExecResult exec(Duration timeout, String... cmd) {
            List<String> args = new ArrayList<>(List.of("exec", name));
            args.addAll(Arrays.asList(cmd));
            return podman(node, timeout, args.toArray(String[]::new));
        }

        @Override
        public synchronized void remove() {
            if (removed) {
                return;
            }
            // -t 0, not -t 1: the latter races and leaves containers behind (LAB.md)
            ExecResult r = Namespaces.exists(node.netns())
                    ? podman(node, Duration.ofSeconds(60), "rm", "-f", "-t", "0", name)
                    : Commands.run(List.of(PODMAN, "rm", "-f", "-t", "0", name));
            if (!r.ok() && containerNames().contains(name)) {
                throw new LabException("cannot remove pod " + name + ": " + r.describe());
            }
            removed = true;
        }

        @Override
        public String toString() {
            return "pod " + name + " (" + ip + ") on " + node.name();
        }
    }
}
