package dev.edgelink.lab.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.edgelink.lab.Leftovers;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.BinaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The README's main commands, {@code bash scripts/demo.sh --json} and {@code --sites --json}, run as a user runs
 * them (with the classpath of this build instead of a nested Maven build, see {@code EDGELINK_DEMO_CLASSPATH}):
 * every pair of the matrix answers on the path the issue expects (issue 3: local on one node, hostgw between n1 and
 * n2, vxlan to and from n3 behind the router; issue 4: see {@link #expectedSitesPath}), and afterwards nothing of
 * its lab is left: namespaces, pod namespaces, podman containers, conflists and CNI state, processes, the CNI
 * launcher, the lab directory, veths in this namespace.
 */
@Tag("lab")
class DemoScriptE2eTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern LAB_ID = Pattern.compile("demo: lab ([0-9a-f]{6}):");
    private static final Pattern POD_NETNS = Pattern.compile("\\((/run/netns/[^)]+)\\)");
    /** 3 nodes and 4 pods, each pinging the 6 others. */
    private static final int PAIRS = 7 * 6;
    /** --sites: 5 nodes and 5 pods, each pinging the 9 others. */
    private static final int SITES_PAIRS = 10 * 9;

    @Test
    @Timeout(420)
    void demoJsonShowsEveryPairAnsweringOnTheExpectedPathAndLeavesNothingBehind() throws Exception {
        runDemo(List.of("--json"), PAIRS, 4, DemoScriptE2eTest::expectedPath);
    }

    @Test
    @Timeout(420)
    void demoSitesShowsDirectAndRelayedCrossSitePathsAndLeavesNothingBehind() throws Exception {
        runDemo(List.of("--sites", "--json"), SITES_PAIRS, 5, DemoScriptE2eTest::expectedSitesPath);
    }

    /**
     * Runs demo.sh with {@code args}; checks the exit code, that every one of {@code pairs} rows answered on the
     * path {@code expected} names ("any" for any path but none), and that nothing is left.
     */
    private static void runDemo(List<String> args, int pairs, int pods, BinaryOperator<String> expected)
            throws Exception {
        Set<String> vethsBefore = rootVeths();
        Path repo = repoRoot();
        Path out = Files.createTempFile("edgelink-demo", ".out");
        Path err = Files.createTempFile("edgelink-demo", ".err");
        try {
            List<String> cmd = new ArrayList<>(List.of("bash", repo.resolve("scripts/demo.sh").toString()));
            cmd.addAll(args);
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
            pb.environment().put("EDGELINK_DEMO_CLASSPATH", EdgelinkCluster.runningClasspath());
            long t0 = System.nanoTime();
            Process p = pb.start();
            if (!p.waitFor(360, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroy);
                p.destroy();
                p.waitFor(30, TimeUnit.SECONDS);
            }
            String stdout = Files.readString(out);
            String stderr = Files.readString(err);
            System.out.printf("demo.sh %s: exit %s in %d ms%n", String.join(" ", args), p.isAlive() ? "none"
                    : p.exitValue(), (System.nanoTime() - t0) / 1_000_000);
            assertEquals(0, p.exitValue(), "demo.sh exit code; stderr:\n" + stderr);

            Map<String, String> wrong = new TreeMap<>();
            int rows = 0;
            for (String line : stdout.lines().filter(l -> !l.isBlank()).toList()) {
                JsonNode r = JSON.readTree(line);
                rows++;
                String from = r.path("from").asText();
                String to = r.path("to").asText();
                String want = expected.apply(from, to);
                String path = r.path("path").asText();
                boolean pathOk = "any".equals(want) ? !"none".equals(path) : want.equals(path);
                if (!r.path("ok").asBoolean() || !pathOk || r.path("rttMs").asDouble() <= 0) {
                    wrong.put(from + " -> " + to, r + " (want path " + want + ")");
                }
            }
            assertEquals(pairs, rows, "matrix rows; stdout:\n" + stdout);
            assertEquals(Map.of(), wrong, "pairs that failed or took an unexpected path");

            assertNothingLeft(labId(stderr), podNamespaces(stderr), vethsBefore, pods);
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /**
     * --sites: local on one node, hostgw within a site, direct between site A and b-n1 (punched), relayed between
     * site A and b-n2 (its mapping is fully random), any path to or from the cloud.
     */
    static String expectedSitesPath(String from, String to) {
        String a = from.split("[/ ]")[0];
        String b = to.split("[/ ]")[0];
        if (a.equals(b)) {
            return "local";
        }
        if (a.equals("cloud") || b.equals("cloud")) {
            return "any";
        }
        if (a.charAt(0) == b.charAt(0)) {
            return "hostgw";
        }
        return a.equals("b-n2") || b.equals("b-n2") ? "relayed" : "direct";
    }

    /** local on one node, hostgw between n1 and n2 (one segment), vxlan to or from n3 (behind the router). */
    static String expectedPath(String from, String to) {
        String a = from.substring(0, 2);
        String b = to.substring(0, 2);
        if (a.equals(b)) {
            return "local";
        }
        return a.equals("n3") || b.equals("n3") ? "vxlan" : "hostgw";
    }

    private static void assertNothingLeft(String id, List<String> podNetns, Set<String> vethsBefore, int pods)
            throws IOException, InterruptedException {
        String prefix = "el-" + id + "-";
        List<Path> sandboxes = podNetns.stream().map(Path::of).toList();
        // namespaces, podman containers, conflists and CNI state, pod namespaces, cgroups, mounts, the lab directory
        List<String> left = new ArrayList<>(Leftovers.of(prefix, Path.of("/tmp/edgelink-lab-" + id), List.of(),
                sandboxes));
        for (Path f : List.of(EdgelinkCluster.CNI_BIN.resolve("edgelink-" + id), Path.of("/tmp/edgelink-lab-" + id))) {
            if (Files.exists(f)) {
                left.add("file " + f);
            }
        }
        left.addAll(processesMentioning(List.of("edgelink-lab-" + id, prefix, "edgelink-" + id)));
        Set<String> newVeths = new TreeSet<>(rootVeths());
        newVeths.removeAll(vethsBefore);
        newVeths.forEach(v -> left.add("veth in the root namespace " + v));
        assertEquals(List.of(), left, "left behind by demo.sh (lab " + id + ")");
        assertEquals(pods, podNetns.size(), "the demo named its " + pods + " pods' namespaces: " + podNetns);
    }

    private static String labId(String stderr) {
        Matcher m = LAB_ID.matcher(stderr);
        assertTrue(m.find(), "demo.sh names its lab on stderr:\n" + stderr);
        return m.group(1);
    }

    private static List<String> podNamespaces(String stderr) {
        List<String> out = new ArrayList<>();
        stderr.lines().filter(l -> l.startsWith("demo: pods:")).forEach(l -> {
            Matcher m = POD_NETNS.matcher(l);
            while (m.find()) {
                out.add(m.group(1));
            }
        });
        return out;
    }

    /** Live processes whose command line contains one of {@code needles}. */
    private static List<String> processesMentioning(List<String> needles) {
        List<String> out = new ArrayList<>();
        long self = ProcessHandle.current().pid();
        ProcessHandle.allProcesses().filter(h -> h.pid() != self).forEach(h -> {
            try {
                String cmd = new String(Files.readAllBytes(Path.of("/proc", Long.toString(h.pid()), "cmdline")),
                        StandardCharsets.UTF_8).replace('\0', ' ');
                if (h.isAlive() && needles.stream().anyMatch(cmd::contains)) {
                    out.add("process " + h.pid() + " " + cmd.trim());
                }
            } catch (IOException ignored) {
                // the process ended while we looked
            }
        });
        return out;
    }

    /** Names of the veths in the namespace this test runs in (the pods' and nodes' must never land here). */
    private static Set<String> rootVeths() throws IOException, InterruptedException {
        Process p = new ProcessBuilder("ip", "-o", "link", "show", "type", "veth").redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), text);
        Set<String> out = new HashSet<>();
        text.lines().map(l -> l.split(":\\s+")).filter(f -> f.length > 1).forEach(f -> out.add(f[1].split("@")[0]));
        return out;
    }

    /** The repository: the nearest directory up from here that holds scripts/demo.sh. */
    private static Path repoRoot() {
        Path d = Path.of("").toAbsolutePath();
        while (d != null && !Files.isRegularFile(d.resolve("scripts/demo.sh"))) {
            d = d.getParent();
        }
        assertTrue(d != null, "no scripts/demo.sh above " + Path.of("").toAbsolutePath());
        return d;
    }
}
