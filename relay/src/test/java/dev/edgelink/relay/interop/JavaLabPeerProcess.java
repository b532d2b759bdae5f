package dev.edgelink.relay.interop;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Runs {@link JavaLabPeer} as a child JVM inside a network namespace and talks to it: commands on its stdin, its
 * JSON lines collected from its stdout by a reader thread, its stderr (our logs) in a file for failure messages.
 * {@link #close()} ends stdin (the peer exits), then SIGTERM and SIGKILL by process id; {@code ip netns exec}
 * execs the JVM, so that id is the JVM's own.
 */
final class JavaLabPeerProcess implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** A JVM on a busy 2-core machine takes a few seconds to start. */
    static final Duration START_TIMEOUT = Duration.ofSeconds(30);

    private final Process process;
    private final Path stderr;
    private final OutputStream stdin;
    private final Object lock = new Object();
    /** Guarded by {@link #lock}. */
    private final List<JsonNode> events = new ArrayList<>();
    /** Guarded by {@link #lock}. */
    private final List<String> lines = new ArrayList<>();
    /** Guarded by {@link #lock}. */
    private boolean ended;
    private int seq;

    private JavaLabPeerProcess(Process process, Path stderr) {
        this.process = process;
        this.stderr = stderr;
        this.stdin = process.getOutputStream();
        Thread reader = new Thread(this::read, "lab-peer-" + process.pid());
        reader.setDaemon(true);
        reader.start();
    }

    /** Starts the peer in {@code netns} with {@code args} and waits for its {@code listening} line. */
    static JavaLabPeerProcess start(String netns, List<String> args) {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", netns, java, "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC", "-Xss512k", "-cp", System.getProperty("java.class.path"),
                JavaLabPeer.class.getName()));
        cmd.addAll(args);
        JavaLabPeerProcess peer;
        try {
            Path err = Files.createTempFile("java-lab-peer-", ".stderr");
            Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
            peer = new JavaLabPeerProcess(p, err);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + cmd, e);
        }
        try {
            peer.awaitEvent("listening", e -> true, START_TIMEOUT);
            return peer;
        } catch (RuntimeException | Error e) {
            peer.close();
            throw e;
        }
    }

    private void read() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                JsonNode event = parse(line);
                synchronized (lock) {
                    lines.add(line);
                    if (event != null) {
                        events.add(event);
                    }
                    lock.notifyAll();
                }
            }
        } catch (IOException ignored) {
            // the process is gone: what it printed is collected
        } finally {
            synchronized (lock) {
                ended = true;
                lock.notifyAll();
            }
        }
    }

    private static JsonNode parse(String line) {
        try {
            JsonNode n = JSON.readTree(line);
            return n != null && n.has("event") ? n : null;
        } catch (JsonProcessingException e) {
            return null;
        }
    }

    String peerId() {
        return awaitEvent("listening", e -> true, START_TIMEOUT).path("peerId").asText();
    }

    /** Sends a command and returns its reply; fails unless the reply says {@code ok}. */
    JsonNode command(String line, Duration timeout) {
        JsonNode reply = tryCommand(line, timeout);
        if (!reply.path("ok").asBoolean()) {
            throw new AssertionError("java peer: '" + line + "' failed: " + reply + dump());
        }
        return reply;
    }

    /** Sends a command and returns its reply, whether it succeeded or not. */
    JsonNode tryCommand(String line, Duration timeout) {
        int mine;
        synchronized (this) {
            mine = ++seq;
            try {
                stdin.write((line + "\n").getBytes(StandardCharsets.UTF_8));
                stdin.flush();
            } catch (IOException e) {
                throw new AssertionError("java peer: cannot send '" + line + "': " + e + dump(), e);
            }
        }
        return awaitEvent(line.split(" ")[0], e -> e.path("seq").asInt() == mine, timeout);
    }

    /** The first event named {@code name} that matches, collected so far or arriving within {@code timeout}. */
    JsonNode awaitEvent(String name, Predicate<JsonNode> predicate, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            while (true) {
                for (JsonNode e : events) {
                    if (name.equals(e.path("event").asText()) && predicate.test(e)) {
                        return e;
                    }
                }
                long left = deadline - System.nanoTime();
                if (ended || left <= 0) {
                    throw new AssertionError("java peer: no matching '" + name + "' event: "
                            + (ended ? "its output ended" : "not within " + timeout) + dumpLocked());
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(lock, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError("interrupted", e);
                }
            }
        }
    }

    /** Every event named {@code name} collected so far. */
    List<JsonNode> events(String name) {
        synchronized (lock) {
            return events.stream().filter(e -> name.equals(e.path("event").asText())).toList();
        }
    }

    /** The output and the log tail, for assertion messages. */
    String dump() {
        synchronized (lock) {
            return dumpLocked();
        }
    }

    private String dumpLocked() {
        StringBuilder sb = new StringBuilder("\n--- java lab peer pid ").append(process.pid()).append(" stdout:");
        lines.forEach(l -> sb.append('\n').append(l));
        sb.append("\n--- stderr (tail):");
        try {
            List<String> err = Files.readAllLines(stderr);
            err.subList(Math.max(0, err.size() - 60), err.size()).forEach(l -> sb.append('\n').append(l));
        } catch (IOException e) {
            sb.append(" unreadable: ").append(e);
        }
        return sb.append("\n---").toString();
    }

    @Override
    public void close() {
        try {
            stdin.close();
        } catch (IOException ignored) {
            // the peer is gone already
        }
        try {
            if (!process.waitFor(3, TimeUnit.SECONDS)) {
                process.destroy();
                if (!process.waitFor(5, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    process.waitFor(5, TimeUnit.SECONDS);
                }
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        try {
            Files.deleteIfExists(stderr);
        } catch (IOException ignored) {
            // a temporary file
        }
    }
}
