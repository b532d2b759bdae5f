package dev.edgelink.lab;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A long-running process the lab started (an agent, iperf3 -s, containerd). Its stdout and stderr go to files in
 * the lab's directory; the lab records it and stops it (with its descendants) at teardown at the latest.
 */
public final class LabProcess {
    private final String name;
    private final String namespace;
    private final List<String> command;
    private final Process process;
    private final Instant started;
    private final Path stdout;
    private final Path stderr;

    LabProcess(String name, String namespace, List<String> command, Process process, Path stdout, Path stderr) {
        this.name = name;
        this.namespace = namespace;
        this.command = List.copyOf(command);
        this.process = process;
        this.started = process.toHandle().info().startInstant().orElse(Instant.now());
        this.stdout = stdout;
        this.stderr = stderr;
    }

    /** The name given at spawn (used for the log file names). */
    public String name() {
        return name;
    }

    /** The namespace it runs in, or {@code null} for the host namespace. */
    public String namespace() {
        return namespace;
    }

    /** The argv that started it. */
    public List<String> command() {
        return command;
    }

    /** Its PID (the tool itself: {@code ip netns exec} and {@code nsenter} exec into it). */
    public long pid() {
        return process.pid();
    }

    /** When the kernel says it started (with the PID, this identifies it even after PID reuse). */
    public Instant started() {
        return started;
    }

    /** Still running. */
    public boolean alive() {
        return process.isAlive();
    }

    /** Its exit code if it has exited. */
    public Optional<Integer> exitCode() {
        return process.isAlive() ? Optional.empty() : Optional.of(process.exitValue());
    }

    /** The file its standard output goes to. */
    public Path stdoutFile() {
        return stdout;
    }

    /** The file its standard error goes to. */
    public Path stderrFile() {
        return stderr;
    }

    /** Everything it has written to stdout so far. */
    public String stdout() {
        return read(stdout);
    }

    /** Everything it has written to stderr so far. */
    public String stderr() {
        return read(stderr);
    }

    /**
     * Waits until stdout or stderr has a match for {@code regex} and returns the match; fails if the process exits
     * first or the time runs out, quoting the end of its logs.
     */
    public Matcher awaitOutput(String regex, Duration timeout) {
        Pattern p = Pattern.compile(regex, Pattern.MULTILINE);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            for (String text : List.of(stdout(), stderr())) {
                Matcher m = p.matcher(text);
                if (m.find()) {
                    return m;
                }
            }
            if (!alive()) {
                throw new LabException(this + " exited " + process.exitValue() + " before printing /" + regex
                        + "/" + tails());
            }
            if (System.nanoTime() > deadline) {
                throw new LabException(this + " did not print /" + regex + "/ within " + timeout + tails());
            }
            Commands.sleep(Duration.ofMillis(50));
        }
    }

    /** Stops it: SIGTERM to it and its descendants, SIGKILL after {@code grace}. Idempotent. */
    public void stop(Duration grace) {
        if (process.isAlive()) {
            Commands.killTree(process.toHandle(), grace);
        }
    }

    /** SIGKILL to it and its descendants, no grace (the {@code kill -9} of a crash test). */
    public void kill() {
        stop(Duration.ZERO);
    }

    /** Waits for it to exit by itself; returns its exit code or fails after {@code timeout}. */
    public int awaitExit(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
                throw new LabException(this + " still running after " + timeout + tails());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LabException("interrupted", e);
        }
        return process.exitValue();
    }

    String tails() {
        return "\n  stdout tail: " + tail(stdout()) + "\n  stderr tail: " + tail(stderr());
    }

    private static String tail(String s) {
        String t = s.strip();
        return t.length() <= 2000 ? t : "..." + t.substring(t.length() - 2000);
    }

    private static String read(Path p) {
        try {
            return Files.exists(p) ? Files.readString(p) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String toString() {
        return name + "[pid " + pid() + (namespace == null ? "" : " in " + namespace) + "]";
    }
}
