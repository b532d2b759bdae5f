package dev.edgelink.labsupport;

import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A network-namespace lab for one test, set up and inspected with iproute2 (never with the code under test). Every
 * namespace is named {@code <tag>-<random>-<suffix>}, so nothing else on the machine is touched. {@link #close()}
 * stops the processes the lab started (by PID: SIGTERM, then SIGKILL), kills anything else left in its namespaces
 * (by PID), deletes them, and fails if one survived. Traffic stays inside them.
 *
 * <p>Lab tests need root: {@link #requireRoot} fails the test with a clear message without it, unless
 * {@code -Dedgelink.allowSkipLab=true} is given, in which case the test is skipped; CI runs as root and never sets
 * it. Each module's lab extends this class with what only its tests need.
 */
public class NetnsLab implements AutoCloseable {
    /** How long one iproute2 (or other) command may take before it is killed and the test fails. */
    public static final Duration DEFAULT_COMMAND_TIMEOUT = Duration.ofSeconds(30);

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String prefix;
    private final Duration commandTimeout;
    private final List<String> namespaces = new ArrayList<>();
    private final List<Process> processes = new ArrayList<>();

    /** An empty lab; call {@link #requireRoot} first. */
    protected NetnsLab(String tag, Duration commandTimeout) {
        byte[] r = new byte[3];
        new SecureRandom().nextBytes(r);
        this.prefix = tag + "-" + HexFormat.of().formatHex(r) + "-";
        this.commandTimeout = Objects.requireNonNull(commandTimeout, "commandTimeout");
    }

    /**
     * Fails (or, with {@code edgelink.allowSkipLab}, skips) the test unless it runs as root.
     *
     * @param why what needs root, e.g. {@code "lab tests need root (network namespaces, veth)"}
     */
    public static void requireRoot(String why) {
        String uid = exec(List.of("id", "-u"), true, DEFAULT_COMMAND_TIMEOUT).trim();
        if (!"0".equals(uid)) {
            String message = why + "; uid is " + uid;
            if (Boolean.getBoolean("edgelink.allowSkipLab")) {
                Assumptions.abort(message + "; skipped because edgelink.allowSkipLab=true");
            }
            fail(message + ". Run as root (CI does), or pass -Dedgelink.allowSkipLab=true to skip them knowingly.");
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

    /** Deletes one of our namespaces now (a pod that went away), killing what runs in it first. */
    public void deleteNamespace(String name) {
        if (!namespaces.contains(name)) {
            throw new IllegalArgumentException("not a namespace of this lab: " + name);
        }
        killPids(name);
        run("ip", "netns", "del", name);
        namespaces.remove(name);
    }

    /** The names of the namespaces of this lab that exist now. */
    public List<String> existing() {
        List<String> out = new ArrayList<>();
        for (String line : exec(List.of("ip", "netns", "list"), false, commandTimeout).split("\n")) {
            if (line.startsWith(prefix)) {
                out.add(line.split(" ")[0]);
            }
        }
        return out;
    }

    /** The nsfs path of a namespace made here. */
    public static Path path(String namespace) {
        return Path.of("/run/netns", namespace);
    }

    /** {@code ip -n NS ARGS...}; fails the test on a non-zero exit. */
    public String ip(String ns, String... args) {
        List<String> cmd = new ArrayList<>(List.of("ip", "-n", ns));
        cmd.addAll(Arrays.asList(args));
        return exec(cmd, true, commandTimeout);
    }

    /** {@code ip -n NS -j ARGS...} parsed. */
    public JsonNode ipJson(String ns, String... args) {
        List<String> cmd = new ArrayList<>(List.of("ip", "-n", ns, "-j"));
        cmd.addAll(Arrays.asList(args));
        return parse(exec(cmd, true, commandTimeout));
    }

    /** {@code bridge -n NS -j ARGS...} parsed. */
    public JsonNode bridgeJson(String ns, String... args) {
        List<String> cmd = new ArrayList<>(List.of("bridge", "-n", ns, "-j"));
        cmd.addAll(Arrays.asList(args));
        return parse(exec(cmd, true, commandTimeout));
    }

    /** Runs a command inside a namespace and returns its exit code (output is discarded). */
    public int execIn(String ns, String... args) {
        return execIn(ns, Arrays.asList(args)).exit();
    }

    /** Runs a command in a namespace to its end; returns its exit code and output. */
    public Result execIn(String ns, List<String> command) {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        cmd.addAll(command);
        Process p = start(cmd, null);
        waitFor(p, cmd, commandTimeout);
        return new Result(p.exitValue(), output(p));
    }

    /** A finished command. */
    public record Result(int exit, String output) {
    }

    /** Starts a long-running command in a namespace, its output going to {@code log}; stopped by {@link #close()}. */
    public Process spawnIn(String ns, List<String> command, Path log) {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        cmd.addAll(command);
        Process p = start(cmd, log);
        processes.add(p);
        return p;
    }

    /** SIGKILL to one process started here, by PID, and waits for it. */
    public void kill9(Process p) throws InterruptedException {
        exitCode(List.of("kill", "-9", Long.toString(p.pid())));
        p.waitFor(10, TimeUnit.SECONDS);
    }

    /** Runs a command on the host; fails the test on a non-zero exit. */
    public String run(String... cmd) {
        return exec(Arrays.asList(cmd), true, commandTimeout);
    }

    /** Runs a command and returns its exit code. */
    public static int exitCode(List<String> cmd) {
        Process p = start(cmd, null);
        waitFor(p, cmd, DEFAULT_COMMAND_TIMEOUT);
        return p.exitValue();
    }

    private static JsonNode parse(String text) {
        try {
            return JSON.readTree(text.isBlank() ? "[]" : text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String exec(List<String> cmd, boolean check, Duration timeout) {
        Process p = start(cmd, null);
        waitFor(p, cmd, timeout);
        String out = output(p);
        if (check && p.exitValue() != 0) {
            fail(String.join(" ", cmd) + " exited " + p.exitValue() + ": " + out);
        }
        return out;
    }

    private static String output(Process p) {
        try {
            return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Process start(List<String> cmd, Path log) {
        try {
            ProcessBuilder b = new ProcessBuilder(cmd).redirectErrorStream(true);
            if (log != null) {
                b.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            }
            return b.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + cmd + " (is iproute2 installed?)", e);
        }
    }

    private static void waitFor(Process p, List<String> cmd, Duration timeout) {
        try {
            if (!p.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
                fail(String.join(" ", cmd) + " did not finish in " + timeout.toSeconds() + " s; killed pid "
                        + p.pid());
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            fail("interrupted waiting for " + cmd);
        }
    }

    private void killPids(String ns) {
        for (String pid : exec(List.of("ip", "netns", "pids", ns), false, commandTimeout).split("\\s+")) {
            if (pid.matches("\\d+")) {
                exitCode(List.of("kill", "-9", pid));
            }
        }
    }

    private void stopProcesses() {
        for (Process p : processes) {
            if (p.isAlive()) {
                exitCode(List.of("kill", "-TERM", Long.toString(p.pid())));
            }
        }
        for (Process p : processes) {
            try {
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    exitCode(List.of("kill", "-9", Long.toString(p.pid())));
                    p.waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Stops what this lab started, kills what is left in its namespaces, deletes them; fails if one survived. */
    @Override
    public void close() {
        stopProcesses();
        for (String ns : new ArrayList<>(namespaces)) {
            killPids(ns);
            exitCode(List.of("ip", "netns", "del", ns));
        }
        namespaces.clear();
        List<String> left = existing();
        if (!left.isEmpty()) {
            fail("lab namespaces left behind: " + left);
        }
    }
}
