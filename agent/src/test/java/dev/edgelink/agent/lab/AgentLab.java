package dev.edgelink.agent.lab;

import static org.junit.jupiter.api.Assertions.fail;

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
 * A network-namespace lab for agent tests, built with iproute2 (never with the code under test). Namespaces are
 * named {@code ela-<random>-<suffix>}; {@link #close()} stops the processes this lab started (by PID: SIGTERM, then
 * SIGKILL), kills anything else left in its namespaces (by PID), deletes them, and fails if one survived. Traffic
 * stays inside them.
 *
 * <p>Needs root. Without it, a test fails with a clear message unless {@code -Dedgelink.allowSkipLab=true} is given,
 * in which case it is skipped.
 */
final class AgentLab implements AutoCloseable {
    private static final long COMMAND_TIMEOUT_SECONDS = 60;

    private final String prefix;
    private final List<String> namespaces = new ArrayList<>();
    private final List<Process> processes = new ArrayList<>();

    private AgentLab() {
        byte[] r = new byte[3];
        new SecureRandom().nextBytes(r);
        this.prefix = "ela-" + HexFormat.of().formatHex(r) + "-";
    }

    static AgentLab open() {
        String uid = run(List.of("id", "-u"), true).trim();
        if (!"0".equals(uid)) {
            String why = "agent lab tests need root (network namespaces, veth, vxlan); uid is " + uid;
            if (Boolean.getBoolean("edgelink.allowSkipLab")) {
                Assumptions.abort(why + "; skipped because edgelink.allowSkipLab=true");
            }
            fail(why + ". Run as root (CI does), or pass -Dedgelink.allowSkipLab=true to skip them knowingly.");
        }
        return new AgentLab();
    }

    /** Creates namespace {@code <prefix><suffix>} with lo up; returns its full name. */
    String namespace(String suffix) {
        String name = prefix + suffix;
        run(List.of("ip", "netns", "add", name), true);
        namespaces.add(name);
        ip(name, "link", "set", "lo", "up");
        return name;
    }

    /** {@code ip -n NS ARGS...}; fails the test on a non-zero exit. */
    String ip(String ns, String... args) {
        List<String> cmd = new ArrayList<>(List.of("ip", "-n", ns));
        cmd.addAll(Arrays.asList(args));
        return run(cmd, true);
    }

    /** Runs a command in a namespace to its end; returns its exit code and output. */
    Result execIn(String ns, List<String> command) {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        cmd.addAll(command);
        Process p = start(cmd, null);
        waitFor(p, cmd);
        return new Result(p.exitValue(), output(p));
    }

    /** Starts a long-running command in a namespace, its output going to {@code log}; stopped by {@link #close()}. */
    Process spawnIn(String ns, List<String> command, Path log) {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        cmd.addAll(command);
        Process p = start(cmd, log);
        processes.add(p);
        return p;
    }

    /** SIGKILL to one process started here, by PID, and waits for it. */
    void kill9(Process p) throws InterruptedException {
        run(List.of("kill", "-9", Long.toString(p.pid())), false);
        p.waitFor(10, TimeUnit.SECONDS);
    }

    record Result(int exit, String output) {
    }

    private static Process start(List<String> cmd, Path log) {
        try {
            ProcessBuilder b = new ProcessBuilder(cmd).redirectErrorStream(true);
            if (log != null) {
                b.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            }
            return b.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + cmd, e);
        }
    }

    private static String run(List<String> cmd, boolean check) {
        Process p = start(cmd, null);
        waitFor(p, cmd);
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

    @Override
    public void close() {
        for (Process p : processes) {
            if (p.isAlive()) {
                run(List.of("kill", "-TERM", Long.toString(p.pid())), false);
            }
        }
        for (Process p : processes) {
            try {
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    run(List.of("kill", "-9", Long.toString(p.pid())), false);
                    p.waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (String ns : namespaces) {
            for (String pid : run(List.of("ip", "netns", "pids", ns), false).split("\\s+")) {
                if (pid.matches("\\d+")) {
                    run(List.of("kill", "-9", pid), false);
                }
            }
            run(List.of("ip", "netns", "del", ns), false);
        }
        List<String> left = new ArrayList<>();
        for (String line : run(List.of("ip", "netns", "list"), false).split("\n")) {
            if (line.startsWith(prefix)) {
                left.add(line.split(" ")[0]);
            }
        }
        if (!left.isEmpty()) {
            fail("lab namespaces left behind: " + left);
        }
    }
}
