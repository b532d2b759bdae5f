package dev.edgelink.libp2p.interop;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * A js-libp2p peer ({@code interop/js-peer/peer.mjs}) run as a child process for interop tests.
 *
 * <p>The peer prints one JSON object per line on stdout ({@code --print-json} is always passed); a
 * reader thread collects them. See {@code interop/js-peer/README.md} for the flags and events.
 * stdout and stderr go to files in a temporary directory that reader threads follow: with pipes, the
 * JDK's process reaper drains and closes the pipe when the process exits, and a line written just
 * before the exit (e.g. {@code stopped}) could be lost to the reader.
 * Always use it in try-with-resources: {@link #close()} stops the process even when a test failed.
 *
 * <p>Needs {@code node} (>= 20.19) on PATH and {@code interop/js-peer/node_modules}; without them it
 * fails (never skips) and says to run {@code scripts/setup.sh}.
 */
public final class JsPeer implements AutoCloseable {

    /** Default time to wait for the {@code listening} event. */
    public static final Duration START_TIMEOUT = Duration.ofSeconds(30);

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int STDERR_TAIL_LINES = 200;
    private static final int STDOUT_DUMP_LINES = 200;
    private static final Duration TERM_GRACE = Duration.ofSeconds(5);
    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(Process::destroyForcibly),
            "js-peer-reaper"));
    }

    private final List<String> command;
    private final Process process;
    private final Path logDir;
    private final Object lock = new Object();
    /** Guarded by {@link #lock}. */
    private final List<JsonNode> events = new ArrayList<>();
    /** Every stdout line, JSON or not. Guarded by {@link #lock}. */
    private final Deque<String> stdoutLines = new ArrayDeque<>();
    /** Guarded by {@link #lock}. */
    private final Deque<String> stderrLines = new ArrayDeque<>();
    /** Guarded by {@link #lock}. */
    private boolean stdoutClosed;
    private final Thread stdoutReader;
    private final Thread stderrReader;
    private volatile boolean closed;

    private JsPeer(List<String> command, Process process, Path logDir) {
        this.command = List.copyOf(command);
        this.process = process;
        this.logDir = logDir;
        long pid = process.pid();
        this.stdoutReader = follow("js-peer-" + pid + "-stdout", logDir.resolve("stdout"), this::onStdout);
        this.stderrReader = follow("js-peer-" + pid + "-stderr", logDir.resolve("stderr"), this::onStderr);
    }

    /**
     * Starts {@code node peer.mjs --print-json <args>} and waits for its {@code listening} event.
     *
     * @throws AssertionError if node or the js peer's node_modules is missing, or the peer does not
     *     print {@code listening} within {@link #START_TIMEOUT} (e.g. it exited on a bad flag)
     */
    public static JsPeer start(List<String> args) {
        JsPeer peer = launch(args);
        try {
            peer.listening();
            return peer;
        } catch (RuntimeException | Error e) {
            peer.close();
            throw e;
        }
    }

    /** {@link #start(List)} with varargs. */
    public static JsPeer start(String... args) {
        return start(List.of(args));
    }

    /**
     * Starts {@code node peer.mjs --print-json <args>} without waiting for anything: for commands
     * that start no node (e.g. {@code --gen-psk}) or tests of start-up failures.
     */
    public static JsPeer launch(List<String> args) {
        return launch(List.of(), args);
    }

    /**
     * {@link #start(List)} inside network namespace {@code netns} ({@code ip netns exec}, which execs node, so
     * the process id stays node's and {@link #close()} signals node itself). Needs root.
     */
    public static JsPeer startIn(String netns, List<String> args) {
        JsPeer peer = launch(List.of("ip", "netns", "exec", netns), args);
        try {
            peer.listening();
            return peer;
        } catch (RuntimeException | Error e) {
            peer.close();
            throw e;
        }
    }

    private static JsPeer launch(List<String> prefix, List<String> args) {
        Path dir = peerDir();
        String node = nodeExecutable();
        List<String> cmd = new ArrayList<>(prefix);
        cmd.add(node);
        cmd.add("peer.mjs");
        cmd.add("--print-json");
        cmd.addAll(args);
        Path logDir;
        Process process;
        try {
            logDir = Files.createTempDirectory("js-peer-");
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(logDir.resolve("stdout").toFile())
                .redirectError(logDir.resolve("stderr").toFile());
            String debug = System.getProperty("edgelink.jsDebug");
            if (debug != null && !debug.isBlank()) {
                pb.environment().put("DEBUG", debug); // js debug logs on stderr, e.g. libp2p:dcutr*
            }
            process = pb.start();
        } catch (IOException e) {
            throw new AssertionError("cannot start " + cmd + " in " + dir + ": " + e.getMessage()
                + " (run scripts/setup.sh)", e);
        }
        LIVE.add(process);
        return new JsPeer(cmd, process, logDir);
    }

    /** Writes a new swarm key file ({@code --gen-psk}) for {@code --psk} and returns it. */
    public static Path generatePsk(Path file) {
        try (JsPeer gen = launch(List.of("--gen-psk", file.toAbsolutePath().toString()))) {
            int code = gen.runToExit(Duration.ofSeconds(30));
            if (code != 0 || !Files.isRegularFile(file)) {
                throw new AssertionError("--gen-psk " + file + " exited with " + code + gen.dump());
            }
            return file;
        }
    }

    // ------------------------------------------------------------------ locations

    /**
     * The repository root: the system property {@code edgelink.repo} (set by surefire) if it holds
     * {@code interop/js-peer}, else the first directory upwards from the working directory that does.
     */
    public static Path repoRoot() {
        String prop = System.getProperty("edgelink.repo");
        if (prop != null && !prop.isBlank() && hasJsPeer(Paths.get(prop))) {
            return Paths.get(prop).toAbsolutePath().normalize();
        }
        for (Path p = Paths.get("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (hasJsPeer(p)) {
                return p;
            }
        }
        throw new AssertionError("cannot find interop/js-peer/peer.mjs from edgelink.repo=" + prop
            + " or upwards from " + Paths.get("").toAbsolutePath());
    }

    /** {@code <repo>/interop/js-peer}, checked to have its node_modules installed. */
    public static Path peerDir() {
        Path dir = repoRoot().resolve("interop").resolve("js-peer");
        if (!Files.isDirectory(dir.resolve("node_modules").resolve("libp2p"))) {
            throw new AssertionError(dir.resolve("node_modules") + " is missing or incomplete: "
                + "run scripts/setup.sh (it runs npm ci there)");
        }
        return dir;
    }

    private static boolean hasJsPeer(Path root) {
        return Files.isRegularFile(root.resolve("interop").resolve("js-peer").resolve("peer.mjs"));
    }

    /** {@code node} from the system property {@code edgelink.node}, else from PATH. */
    static String nodeExecutable() {
        String prop = System.getProperty("edgelink.node");
        if (prop != null && !prop.isBlank()) {
            if (Files.isExecutable(Paths.get(prop))) {
                return prop;
            }
            throw new AssertionError("edgelink.node=" + prop + " is not executable: run scripts/setup.sh");
        }
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(File.pathSeparator)) {
                if (!dir.isEmpty() && Files.isExecutable(Paths.get(dir, "node"))) {
                    return Paths.get(dir, "node").toString();
                }
            }
        }
        throw new AssertionError("node (>= 20.19) is not on PATH (" + path + "): run scripts/setup.sh");
    }

    // ------------------------------------------------------------------ output

    /**
     * Follows a file the process writes to, handing every complete line to {@code sink}, and
     * {@code null} once the process has exited and everything it wrote has been read.
     */
    private Thread follow(String name, Path file, Consumer<String> sink) {
        Thread t = new Thread(() -> {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            byte[] buf = new byte[64 * 1024];
            try (InputStream in = Files.newInputStream(file)) {
                while (true) {
                    boolean exited = !process.isAlive();
                    int n = in.read(buf);
                    if (n > 0) {
                        for (int i = 0; i < n; i++) {
                            if (buf[i] == '\n') {
                                sink.accept(line.toString(StandardCharsets.UTF_8));
                                line.reset();
                            } else {
                                line.write(buf[i]);
                            }
                        }
                    } else if (exited) {
                        break; // at the end of the file after the exit: nothing more will come
                    } else {
                        Thread.sleep(10);
                    }
                }
                if (line.size() > 0) {
                    sink.accept(line.toString(StandardCharsets.UTF_8));
                }
            } catch (IOException ignored) {
                // the file is gone (close() removed it): nothing more to read
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                sink.accept(null);
            }
        }, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    private void onStdout(String line) {
        synchronized (lock) {
            if (line == null) {
                stdoutClosed = true;
            } else {
                stdoutLines.addLast(line);
                JsonNode event = parse(line);
                if (event != null) {
                    events.add(event);
                }
            }
            lock.notifyAll();
        }
    }

    private void onStderr(String line) {
        if (line == null) {
            return;
        }
        synchronized (lock) {
            stderrLines.addLast(line);
            while (stderrLines.size() > STDERR_TAIL_LINES) {
                stderrLines.removeFirst();
            }
        }
    }

    private static JsonNode parse(String line) {
        if (!line.startsWith("{")) {
            return null;
        }
        try {
            JsonNode node = JSON.readTree(line);
            return node != null && node.isObject() && node.has("event") ? node : null;
        } catch (JsonProcessingException e) {
            return null;
        }
    }

    // ------------------------------------------------------------------ events

    /**
     * The first event (of all collected so far, or arriving within {@code timeout}) that matches.
     *
     * @throws AssertionError with the collected output and the stderr tail if none matches in time
     *     or the peer's stdout ends (the process exited) without one
     */
    public JsonNode awaitEvent(Predicate<JsonNode> predicate, Duration timeout) {
        return awaitEvents(predicate, 1, timeout).get(0);
    }

    /** {@link #awaitEvent(Predicate, Duration)} for an event named {@code event} that also matches. */
    public JsonNode awaitEvent(String event, Predicate<JsonNode> predicate, Duration timeout) {
        return awaitEvents(named(event).and(predicate), 1, timeout, "'" + event + "'").get(0);
    }

    /** The first {@code count} matching events, waiting up to {@code timeout} for them. */
    public List<JsonNode> awaitEvents(Predicate<JsonNode> predicate, int count, Duration timeout) {
        return awaitEvents(predicate, count, timeout, "matching");
    }

    private List<JsonNode> awaitEvents(Predicate<JsonNode> predicate, int count, Duration timeout, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            while (true) {
                List<JsonNode> found = new ArrayList<>();
                for (JsonNode e : events) {
                    if (predicate.test(e)) {
                        found.add(e);
                        if (found.size() == count) {
                            return found;
                        }
                    }
                }
                long left = deadline - System.nanoTime();
                if (stdoutClosed || left <= 0) {
                    String why = stdoutClosed ? "the peer's output ended (" + exitState() + ")"
                        : "not within " + timeout;
                    throw new AssertionError("js peer: expected " + count + " " + what + " event(s), got "
                        + found.size() + ": " + why + dumpLocked());
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(lock, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError("interrupted while waiting for a js peer event" + dumpLocked(), e);
                }
            }
        }
    }

    /** A predicate matching events with this {@code event} field. */
    public static Predicate<JsonNode> named(String event) {
        return e -> event.equals(e.path("event").asText());
    }

    /** A snapshot of all events collected so far, in order. */
    public List<JsonNode> events() {
        synchronized (lock) {
            return Collections.unmodifiableList(new ArrayList<>(events));
        }
    }

    /** A snapshot of the collected events named {@code event}. */
    public List<JsonNode> events(String event) {
        Predicate<JsonNode> p = named(event);
        return events().stream().filter(p).toList();
    }

    /** The {@code listening} event (waits up to {@link #START_TIMEOUT} for it). */
    public JsonNode listening() {
        return awaitEvent("listening", e -> true, START_TIMEOUT);
    }

    /** The peer id from the {@code listening} event. */
    public String peerId() {
        return listening().path("peerId").asText();
    }

    /** The listen addresses from the {@code listening} event, each ending in {@code /p2p/<peerId>}. */
    public List<String> multiaddrs() {
        List<String> out = new ArrayList<>();
        listening().path("multiaddrs").forEach(a -> out.add(a.asText()));
        return out;
    }

    /** The first direct TCP address (not {@code /p2p-circuit}) from {@link #multiaddrs()}. */
    public String tcpMultiaddr() {
        return multiaddrs().stream()
            .filter(a -> a.contains("/tcp/") && !a.contains("/p2p-circuit"))
            .findFirst()
            .orElseThrow(() -> new AssertionError("js peer has no TCP address: " + multiaddrs() + dump()));
    }

    // ------------------------------------------------------------------ process

    /** The node process id. */
    public long pid() {
        return process.pid();
    }

    /** Whether the node process is still running. */
    public boolean isAlive() {
        return process.isAlive();
    }

    /**
     * Waits for a one-shot peer (e.g. {@code --exit-after-actions}) to exit and for all of its output
     * to be collected; returns the exit code.
     *
     * @throws AssertionError (after stopping the process) if it is still running after {@code timeout}
     */
    public int runToExit(Duration timeout) {
        boolean exited;
        try {
            exited = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
            throw new AssertionError("interrupted while waiting for the js peer to exit" + dump(), e);
        }
        if (!exited) {
            close();
            throw new AssertionError("js peer still running after " + timeout + " (stopped now)" + dump());
        }
        joinReaders(Duration.ofSeconds(5));
        LIVE.remove(process);
        return process.exitValue();
    }

    /**
     * Stops the peer: SIGTERM (it stops libp2p and exits 0), then after a short grace period
     * SIGKILL. Idempotent; never throws.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (process.isAlive()) {
                process.destroy(); // SIGTERM
                if (!process.waitFor(TERM_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                    process.destroyForcibly(); // SIGKILL by pid
                    process.waitFor(TERM_GRACE.toMillis(), TimeUnit.MILLISECONDS);
                }
            }
            joinReaders(Duration.ofSeconds(2));
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        } finally {
            LIVE.remove(process);
            deleteLogs();
        }
    }

    private void deleteLogs() {
        if (stdoutReader.isAlive() || stderrReader.isAlive()) {
            return; // still reading (the process would not die): leave the files
        }
        for (String f : List.of("stdout", "stderr")) {
            try {
                Files.deleteIfExists(logDir.resolve(f));
            } catch (IOException ignored) {
                // a temporary file: the OS cleans up eventually
            }
        }
        try {
            Files.deleteIfExists(logDir);
        } catch (IOException ignored) {
            // as above
        }
    }

    private void joinReaders(Duration timeout) {
        try {
            stdoutReader.join(timeout.toMillis());
            stderrReader.join(timeout.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private String exitState() {
        return process.isAlive() ? "still running" : "exit code " + process.exitValue();
    }

    /** The last stderr lines (debug logs, warnings, stack traces). */
    public String stderrTail() {
        synchronized (lock) {
            return String.join("\n", stderrLines);
        }
    }

    /** The command, process state, the last stdout lines and the stderr tail, for assertion messages. */
    public String dump() {
        synchronized (lock) {
            return dumpLocked();
        }
    }

    private String dumpLocked() {
        StringBuilder sb = new StringBuilder();
        sb.append("\n--- js peer pid ").append(process.pid()).append(" (").append(exitState()).append("): ")
            .append(String.join(" ", command));
        int skip = Math.max(0, stdoutLines.size() - STDOUT_DUMP_LINES);
        sb.append("\n--- stdout (").append(stdoutLines.size()).append(" lines")
            .append(skip > 0 ? ", last " + STDOUT_DUMP_LINES : "").append("):");
        stdoutLines.stream().skip(skip).forEach(l -> sb.append('\n').append(l));
        sb.append("\n--- stderr (last ").append(stderrLines.size()).append(" lines):");
        stderrLines.forEach(l -> sb.append('\n').append(l));
        sb.append("\n---");
        return sb.toString();
    }

    @Override
    public String toString() {
        return "JsPeer[pid=" + process.pid() + ", " + exitState() + "]";
    }
}
