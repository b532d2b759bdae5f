package dev.edgelink.relay.circuit;

import dev.edgelink.libp2p.crypto.Keys;
import dev.edgelink.libp2p.host.Host;
import dev.edgelink.libp2p.host.HostConfig;
import dev.edgelink.libp2p.identify.IdentifyService;
import dev.edgelink.libp2p.multiaddr.Multiaddr;
import dev.edgelink.libp2p.mux.ByteBudget;
import dev.edgelink.libp2p.ping.PingService;
import io.netty.util.internal.PlatformDependent;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A relay server in a JVM of its own, so that its memory can be measured apart from its clients: {@link #main} is
 * the child (a host on loopback with identify, ping and {@link RelayServer} with the defaults derived from its
 * direct-memory limit, logs on stderr), the instance is the parent's handle. The child answers {@code stats} on
 * stdin with one line {@code stats key=value ...} measured after a full collection, and exits when stdin ends.
 */
final class RelayProcess implements AutoCloseable {

    private final Process process;
    private final Path stderr;
    private final BufferedReader out;
    private final PrintStream in;
    private final Multiaddr address;

    private RelayProcess(Process process, Path stderr) throws IOException {
        this.process = process;
        this.stderr = stderr;
        this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        this.in = new PrintStream(process.getOutputStream(), true, StandardCharsets.UTF_8);
        String first = out.readLine();
        if (first == null || !first.startsWith("listening ")) {
            throw new IllegalStateException("relay process did not start: " + first + log());
        }
        this.address = Multiaddr.fromString(first.substring("listening ".length()));
    }

    /** Starts the child with {@code jvmOptions}; its host allows {@code maxConnections}. */
    static RelayProcess start(List<String> jvmOptions, int maxConnections) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), RelayProcess.class.getName(),
                Integer.toString(maxConnections)));
        Path err = Files.createTempFile("relay-process-", ".stderr");
        Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
        try {
            return new RelayProcess(p, err);
        } catch (IOException | RuntimeException e) {
            p.destroyForcibly();
            throw e;
        }
    }

    Multiaddr address() {
        return address;
    }

    /** The child's figures now, after a full collection: heap, direct memory, budget, counts. */
    Map<String, Long> stats() throws IOException {
        in.println("stats");
        String line = out.readLine();
        if (line == null || !line.startsWith("stats ")) {
            throw new IllegalStateException("relay process gave no stats: " + line + log());
        }
        Map<String, Long> m = new HashMap<>();
        for (String kv : line.substring("stats ".length()).split(" ")) {
            String[] p = kv.split("=", 2);
            m.put(p[0], Long.parseLong(p[1]));
        }
        return m;
    }

    /** The tail of the child's log, for failure messages. */
    String log() {
        try {
            List<String> lines = Files.readAllLines(stderr);
            return "\n--- relay process log (tail):\n"
                    + String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "\n--- relay process log unreadable: " + e;
        }
    }

    @Override
    public void close() {
        in.close();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
            Files.deleteIfExists(stderr);
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The child: {@code RelayProcess MAX_CONNECTIONS}. */
    public static void main(String[] args) throws IOException {
        Host host = Host.start(HostConfig.builder(Keys.generateEd25519())
                .listen(List.of(Multiaddr.fromString("/ip4/127.0.0.1/tcp/0"))).eventLoopThreads(1)
                .maxConnections(Integer.parseInt(args[0])).build());
        new IdentifyService(host);
        new PingService(host);
        RelayServer server = RelayServer.start(host, RelayConfig.forDirectMemory(p -> true,
                PlatformDependent.maxDirectMemory()));
        PrintStream stdout = System.out;
        stdout.println("listening " + host.listenAddresses().get(0).withPeerId(host.peerId()));
        BufferedReader commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line = commands.readLine(); line != null; line = commands.readLine()) {
            if (line.equals("stats")) {
                stdout.println(stats(host, server));
            }
        }
        host.close();
        System.exit(0);
    }

    private static String stats(Host host, RelayServer server) {
        System.gc();
        System.gc();
        ByteBudget m = server.memory();
        BufferPoolMXBean direct = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                .filter(b -> b.getName().equals("direct")).findFirst().orElseThrow();
        return "stats heap=" + ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed()
                + " direct=" + direct.getMemoryUsed() + " directLimit=" + PlatformDependent.maxDirectMemory()
                + " budgetUsed=" + m.used() + " budgetPeak=" + m.peak() + " budgetLimit=" + m.limit()
                + " reservations=" + server.reservationCount() + " circuits=" + server.circuitCount()
                + " connections=" + host.connections().size() + " resets=" + server.circuitsResetForMemory();
    }
}
