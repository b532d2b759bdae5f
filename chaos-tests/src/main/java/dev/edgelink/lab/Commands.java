package dev.edgelink.lab;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs host tools. Output goes to temporary files rather than pipes, so that a tool which leaves a daemon behind
 * that keeps its stdout open can never make us wait for an end of file. A command that runs past its timeout is
 * killed with all its descendants.
 */
final class Commands {
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

    private Commands() {
    }

    static ExecResult run(List<String> cmd) {
        return run(cmd, DEFAULT_TIMEOUT, null);
    }

    static ExecResult run(List<String> cmd, Duration timeout, String stdin) {
        Path out = null;
        Path err = null;
        try {
            out = Files.createTempFile("edgelink-cmd-", ".out");
            err = Files.createTempFile("edgelink-cmd-", ".err");
            ProcessBuilder pb = new ProcessBuilder(cmd)
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile())
                    .redirectInput(stdin == null ? ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())
                            : ProcessBuilder.Redirect.PIPE);
            long start = System.nanoTime();
            Process p = start(pb, cmd);
            if (stdin != null) {
                try (OutputStream in = p.getOutputStream()) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            }
            boolean done = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!done) {
                killTree(p.toHandle(), Duration.ZERO);
                p.waitFor(5, TimeUnit.SECONDS);
            }
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            return new ExecResult(List.copyOf(cmd), done ? p.exitValue() : -1, Files.readString(out),
                    Files.readString(err), !done, took);
        } catch (IOException e) {
            throw new LabException("cannot run " + String.join(" ", cmd) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LabException("interrupted while running " + String.join(" ", cmd), e);
        } finally {
            deleteQuietly(out);
            deleteQuietly(err);
        }
    }

    static Process start(ProcessBuilder pb, List<String> cmd) {
        try {
            return pb.start();
        } catch (IOException e) {
            throw new LabException("cannot start " + String.join(" ", cmd)
                    + " (is the tool installed? scripts/setup.sh installs what the lab needs)", e);
        }
    }

    /**
     * Stops a process and every descendant it has now: SIGTERM, then SIGKILL to whatever is still alive after
     * {@code grace}. Descendants are collected before the parent dies, since they are re-parented after.
     */
    static void killTree(ProcessHandle root, Duration grace) {
        List<ProcessHandle> all = new java.util.ArrayList<>(root.descendants().toList());
        all.add(0, root);
        if (!grace.isZero()) {
            all.forEach(ProcessHandle::destroy);
            long deadline = System.nanoTime() + grace.toNanos();
            while (System.nanoTime() < deadline && all.stream().anyMatch(ProcessHandle::isAlive)) {
                sleep(Duration.ofMillis(20));
            }
        }
        all.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
        for (ProcessHandle h : all) {
            try {
                h.onExit().get(5, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                // reported by the leftover check, which names the PID
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LabException("interrupted", e);
        }
    }

    private static void deleteQuietly(Path p) {
        if (p != null) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException ignored) {
                // a temp file in /tmp; not worth failing a test for
            }
        }
    }
}
