package dev.edgelink.lab.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.edgelink.lab.ExecResult;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * CNI calls without a container runtime, two ways: through the installed launcher (a process with CNI_* in its
 * environment and the plugin's config on stdin, exactly as a runtime runs it), and straight onto the agent's
 * socket with the launcher's client protocol ({@code {"edgelink-cni":1,"env":{...},"config":{...}}}, half-close,
 * read the answer), which skips the client JVM's start for loops of hundreds of calls.
 */
public final class CniCalls {
    private static final ObjectMapper JSON = new ObjectMapper();

    private CniCalls() {
    }

    /** The config a runtime derives for our plugin from a one-plugin conflist. */
    public static ObjectNode pluginConfig(String network, String type, Path socket) {
        ObjectNode c = JSON.createObjectNode();
        c.put("cniVersion", "1.0.0").put("name", network).put("type", type).put("agentSocket", socket.toString());
        return c;
    }

    /** The CNI_* environment of one call. */
    public static Map<String, String> env(String command, String containerId, String netns, String ifname) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("CNI_COMMAND", command);
        env.put("CNI_CONTAINERID", containerId);
        if (netns != null) {
            env.put("CNI_NETNS", netns);
        }
        env.put("CNI_IFNAME", ifname);
        env.put("CNI_PATH", EdgelinkCluster.CNI_BIN + ":/usr/lib/cni");
        return env;
    }

    /** One request on the agent socket; returns the answer ({@code result}, {@code error} or neither). */
    public static JsonNode agent(Path socket, Map<String, String> env, JsonNode config) {
        ObjectNode req = JSON.createObjectNode().put("edgelink-cni", 1);
        ObjectNode e = req.putObject("env");
        env.forEach(e::put);
        req.set("config", config);
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            ByteBuffer out = ByteBuffer.wrap(JSON.writeValueAsBytes(req));
            while (out.hasRemaining()) {
                ch.write(out);
            }
            ch.shutdownOutput();
            ByteArrayOutputStream in = new ByteArrayOutputStream();
            ByteBuffer buf = ByteBuffer.allocate(8192);
            while (ch.read(buf) >= 0) {
                in.write(buf.array(), 0, buf.position());
                buf.clear();
            }
            return JSON.readTree(in.toByteArray());
        } catch (IOException ex) {
            throw new UncheckedIOException("CNI request on " + socket + " failed", ex);
        }
    }

    /**
     * Runs the launcher {@code plugin} in namespace {@code ns} (the node's, as a runtime would) with {@code env}
     * and {@code config} on stdin; returns the process result (stdout: the result or error JSON).
     */
    public static ExecResult launcher(String ns, Path plugin, Map<String, String> env, JsonNode config) {
        try {
            return run(List.of("ip", "netns", "exec", ns, plugin.toString()), env,
                    JSON.writeValueAsBytes(config), Duration.ofSeconds(60));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs {@code cmd} with exactly {@code env} (plus PATH), {@code stdin} fed and closed; kills it on timeout. */
    static ExecResult run(List<String> cmd, Map<String, String> env, byte[] stdin, Duration timeout)
            throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().clear();
        pb.environment().put("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        pb.environment().putAll(env);
        Path out = Files.createTempFile("edgelink-cni-", ".out");
        Path err = Files.createTempFile("edgelink-cni-", ".err");
        long t0 = System.nanoTime();
        try {
            Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            try (var in = p.getOutputStream()) {
                in.write(stdin);
            }
            boolean done;
            try {
                done = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                done = false;
            }
            if (!done) {
                p.destroyForcibly();
            }
            return new ExecResult(cmd, done ? p.exitValue() : -1, Files.readString(out), Files.readString(err),
                    !done, Duration.ofNanos(System.nanoTime() - t0));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
