package dev.edgelink.cni.lab;

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
 * Network namespaces for one CNI lab test, made and inspected with iproute2 (never with the code under test).
 * Every namespace is named {@code elc-<random>-<suffix>}; the machine's own namespace and interfaces are never
 * touched. {@link #close()} kills what still runs in them (by PID), deletes them, and fails if any is left.
 *
 * <p>Needs root. Without it a lab test fails with a clear message, unless {@code -Dedgelink.allowSkipLab=true}
 * is given; CI runs as root and never sets it.
 */
public final class CniLab implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long COMMAND_TIMEOUT_SECONDS = 30;

    private final String prefix;
    private final List<String> namespaces = new ArrayList<>();

    private CniLab() {
        byte[] r = new byte[3];
        new SecureRandom().nextBytes(r);
        this.prefix = "elc-" + HexFormat.of().formatHex(r) + "-";
    }

    public static CniLab open() {
        String uid = exec(List.of("id", "-u"), true).trim();
        if (!"0".equals(uid)) {
            String why = "CNI lab tests need root (network namespaces, veth); uid is " + uid;
            if (Boolean.getBoolean("edgelink.allowSkipLab")) {
                Assumptions.abort(why + "; skipped because edgelink.allowSkipLab=true");
            }
            fail(why + ". Run as root (CI does), or pass -Dedgelink.allowSkipLab=true to skip them knowingly.");
        }
        return new CniLab();
    }

    /** Creates namespace {@code <prefix><suffix>} with lo up; returns its full name. */
    public String namespace(String suffix) {
        String name = prefix + suffix;
        exec(List.of("ip", "netns", "add", name), true);
        namespaces.add(name);
        ip(name, "link", "set", "lo", "up");
        return name;
    }

    public static Path path(String namespace) {
        return Path.of("/run/netns", namespace);
    }

    /** Deletes one of our namespaces now (a pod that went away). */
    public void deleteNamespace(String name) {
        if (!namespaces.contains(name)) {
            throw new IllegalArgumentException("not a namespace of this lab: " + name);
        }
        killPids(name);
        exec(List.of("ip", "netns", "del", name), true);
        namespaces.remove(name);
    }

    public String ip(String ns, String... args) {
        List<String> cmd = new ArrayList<>(List.of("ip", "-n", ns));
        cmd.addAll(Arrays.asList(args));
        return exec(cmd, true);
    }

    public JsonNode ipJson(String ns, String... args) {
        List<String> cmd = new ArrayList<>(List.of("ip", "-n", ns, "-j"));
        cmd.addAll(Arrays.asList(args));
        String out = exec(cmd, true);
        try {
            return JSON.readTree(out.isBlank() ? "[]" : out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs a command inside a namespace; returns its exit code. */
    public int execIn(String ns, String... args) {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        cmd.addAll(Arrays.asList(args));
        Process p = start(cmd);
        waitFor(p, cmd);
        return p.exitValue();
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

    private static void killPids(String ns) {
        for (String pid : exec(List.of("ip", "netns", "pids", ns), false).split("\\s+")) {
            if (pid.matches("\\d+")) {
                exec(List.of("kill", "-9", pid), false);
            }
        }
    }

    @Override
    public void close() {
        for (String ns : new ArrayList<>(namespaces)) {
            killPids(ns);
            exec(List.of("ip", "netns", "del", ns), false);
        }
        namespaces.clear();
        List<String> left = new ArrayList<>();
        for (String line : exec(List.of("ip", "netns", "list"), false).split("\n")) {
            if (line.startsWith(prefix)) {
                left.add(line.split(" ")[0]);
            }
        }
        if (!left.isEmpty()) {
            fail("lab namespaces left behind: " + left);
        }
    }
}
