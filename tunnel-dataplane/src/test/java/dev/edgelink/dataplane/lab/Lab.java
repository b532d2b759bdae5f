package dev.edgelink.dataplane.lab;

import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A network-namespace lab for one test, set up with iproute2 (never with the code under test). Every namespace is
 * named {@code elt-<random>-<suffix>}, so nothing else on the machine is touched; {@link #close()} kills the
 * processes left in them (by PID), deletes them, and fails if any is still there. Traffic stays inside them.
 *
 * <p>Lab tests need root. Without it they fail with a clear message, unless {@code -Dedgelink.allowSkipLab=true}
 * is given, in which case they are skipped; CI runs as root and never sets it.
 */
public final class Lab implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long COMMAND_TIMEOUT_SECONDS = 30;

    private final String prefix;
    private final List<String> namespaces = new ArrayList<>();

    private Lab(String tag) {
        byte[] r = new byte[3];
        new SecureRandom().nextBytes(r);
        this.prefix = tag + "-" + HexFormat.of().formatHex(r) + "-";
    }

    /** Checks for root (see the class comment) and starts an empty lab. */
    public static Lab open() {
        return open("elt");
    }

    /** As {@link #open()}, with namespaces named {@code <tag>-<random>-<suffix>}. */
    public static Lab open(String tag) {
        requireRoot();
        return new Lab(tag);
    }

    /** The names of the namespaces of this lab that exist now. */
    public List<String> existing() {
        List<String> out = new ArrayList<>();
        for (String line : exec(List.of("ip", "netns", "list"), false).split("\n")) {
            if (line.startsWith(prefix)) {
                out.add(line.split(" ")[0]);
            }
        }
        return out;
    }

    static void requireRoot() {
        String uid = exec(List.of("id", "-u"), true).trim();
        if (!"0".equals(uid)) {
            String why = "lab tests need root (network namespaces, veth, vxlan); uid is " + uid;
            if (Boolean.getBoolean("edgelink.allowSkipLab")) {
                Assumptions.abort(why + "; skipped because edgelink.allowSkipLab=true");
            }
            fail(why + ". Run as root (CI does), or pass -Dedgelink.allowSkipLab=true to skip them knowingly.");
        }
    }

    /** Creates namespace {@code <prefix><suffix>} with lo up; returns its full name. */
    public String namespace(String suffix) {
        String name = prefix + suffix;
        run("ip", "netns", "add", name);
        namespaces.add(name);
        ip(name, "link", "set", "lo", "up");
        return name;
    }

    /**
     * Gives {@code ns} the underlay of a one-node lab, with iproute2: veth {@code ul0} (peer {@code ul1}), up,
     * holding {@code 198.18.0.1/24}.
     */
    public void underlay(String ns) {
        ip(ns, "link", "add", "ul0", "type", "veth", "peer", "name", "ul1");
        ip(ns, "addr", "add", "198.18.0.1/24", "dev", "ul0");
        ip(ns, "link", "set", "ul0", "up");
    }

    /** The nsfs path of a namespace made here. */
    public static Path path(String namespace) {
        return Path.of("/run/netns", namespace);
    }

    /** {@code ip -n NS ARGS...}; fails the test on a non-zero exit. */
    public String ip(String ns, String... args) {
        List<String> cmd = new ArrayList<>(List.of("ip", "-n", ns));
        cmd.addAll(Arrays.asList(args));
        return exec(cmd, true);
    }

    /** {@code ip -n NS -j ARGS...} parsed. */
    public JsonNode ipJson(String ns, String... args) {
        List<String> cmd = new ArrayList<>(List.of("ip", "-n", ns, "-j"));
        cmd.addAll(Arrays.asList(args));
        return parse(exec(cmd, true));
    }

    /** {@code bridge -n NS -j ARGS...} parsed. */
    public JsonNode bridgeJson(String ns, String... args) {
        List<String> cmd = new ArrayList<>(List.of("bridge", "-n", ns, "-j"));
        cmd.addAll(Arrays.asList(args));
        return parse(exec(cmd, true));
    }

    /** Runs a command inside a namespace and returns its exit code (output is discarded into the message). */
    public int execIn(String ns, String... args) {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        cmd.addAll(Arrays.asList(args));
        return exitCode(cmd);
    }

    /** Runs a command on the host; fails the test on a non-zero exit. */
    public String run(String... cmd) {
        return exec(Arrays.asList(cmd), true);
    }

    /** Runs a command and returns its exit code. */
    public static int exitCode(List<String> cmd) {
        Process p = start(cmd);
        waitFor(p, cmd);
        return p.exitValue();
    }

    private static JsonNode parse(String text) {
        try {
            return JSON.readTree(text.isBlank() ? "[]" : text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String exec(List<String> cmd, boolean check) {
        Process p = start(cmd);
        waitFor(p, cmd);
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (check && p.exitValue() != 0) {
                fail(String.join(" ", cmd) + " exited " + p.exitValue() + ": " + out);
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Process start(List<String> cmd) {
        try {
            return new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + cmd + " (is iproute2 installed?)", e);
        }
    }

    private static void waitFor(Process p, List<String> cmd) {
        try {
            if (!p.waitFor(COMMAND_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
                fail(String.join(" ", cmd) + " did not finish in " + COMMAND_TIMEOUT_SECONDS + " s; killed pid "
                        + p.pid());
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            fail("interrupted waiting for " + cmd);
        }
    }

    /** Kills what still runs in our namespaces (by PID), deletes them, and fails if any survived. */
    @Override
    public void close() {
        for (String ns : namespaces) {
            for (String pid : exec(List.of("ip", "netns", "pids", ns), false).split("\\s+")) {
                if (pid.matches("\\d+")) {
                    exitCode(List.of("kill", "-9", pid));
                }
            }
            exitCode(List.of("ip", "netns", "del", ns));
        }
        List<String> left = existing();
        if (!left.isEmpty()) {
            fail("lab namespaces left behind: " + left);
        }
    }
}
