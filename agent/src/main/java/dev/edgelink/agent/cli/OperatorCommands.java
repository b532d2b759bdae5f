package dev.edgelink.agent.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.edgelink.agent.AgentStatus;
import dev.edgelink.agent.PingReport;
import dev.edgelink.agent.config.AgentConfig;
import dev.edgelink.agent.config.ConfigLoader;
import dev.edgelink.agent.internal.http.OperatorJson;
import dev.edgelink.agent.internal.http.OperatorServer;
import dev.edgelink.libp2p.ConfigurationException;
import dev.edgelink.libp2p.TransportException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code edgelink status} and {@code edgelink ping}: ask the local agent over its loopback HTTP server. The agent's
 * address is {@code --agent HOST:PORT}, else the {@code statusAddress} of {@code --config FILE}, else the config
 * default ({@value AgentConfig#DEFAULT_STATUS_ADDRESS}).
 */
final class OperatorCommands {
    private static final Set<String> VALUED = Set.of("agent", "config", "count");
    private static final Set<String> SWITCHES = Set.of("json");
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final JsonOut out;

    OperatorCommands(JsonOut out) {
        this.out = out;
    }

    int status(String[] argv) throws InterruptedException {
        Args args = new Args(argv, 1, VALUED, SWITCHES);
        String body = get(agent(args), "/status", TIMEOUT);
        if (args.has("json")) {
            out.text(body.trim());
            return 0;
        }
        AgentStatus status = read(body, AgentStatus.class);
        table(status).forEach(out::text);
        return 0;
    }

    int ping(String[] argv) throws InterruptedException {
        Args args = new Args(argv, 1, VALUED, SWITCHES);
        String node = args.positional(0, "NODE to ping");
        int count = (int) args.number("count", OperatorServer.DEFAULT_PING_COUNT, 1);
        if (count > OperatorServer.MAX_PING_COUNT) {
            throw new ConfigurationException("--count must be at most " + OperatorServer.MAX_PING_COUNT);
        }
        String body = get(agent(args), "/ping?node=" + URLEncoder.encode(node, StandardCharsets.UTF_8) + "&count="
                + count, TIMEOUT.multipliedBy(count + 1));
        PingReport report = read(body, PingReport.class);
        if (args.has("json")) {
            out.text(body.trim());
        } else {
            String path = report.path() == null ? "no verified path" : "path " + report.path();
            out.text("PING " + report.node() + " (" + report.target() + ") over the pod network, " + path);
            for (int i = 0; i < report.probes().size(); i++) {
                PingReport.Probe p = report.probes().get(i);
                out.text("  seq=" + (i + 1) + " " + (p.ok() ? String.format(Locale.ROOT, "rtt=%.3f ms", p.rttMillis())
                        : "lost: " + p.detail()));
            }
            out.text(report.received() + "/" + report.probes().size() + " answered via "
                    + (report.path() == null ? "-" : report.path()));
        }
        return report.ok() ? 0 : 1;
    }

    private static InetSocketAddress agent(Args args) {
        if (args.option("agent").isPresent()) {
            return ConfigLoader.statusAddress("--agent", args.option("agent").get());
        }
        if (args.option("config").isPresent()) {
            return ConfigLoader.forThisHost().load(Path.of(args.option("config").get())).statusAddress();
        }
        return ConfigLoader.statusAddress("--agent", AgentConfig.DEFAULT_STATUS_ADDRESS);
    }

    /** GET; the body of a 200, else a failure carrying the agent's error message. */
    private static String get(InetSocketAddress agent, String pathAndQuery, Duration timeout)
            throws InterruptedException {
        String host = agent.getAddress().getHostAddress();
        String authority = (host.contains(":") ? "[" + host + "]" : host) + ":" + agent.getPort();
        HttpClient client = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://" + authority + pathAndQuery))
                .timeout(timeout).GET().build();
        HttpResponse<String> response;
        try {
            response = client.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (ConnectException e) {
            throw new TransportException("cannot reach the agent at " + authority + " (connection refused); is it "
                    + "running, and is that its statusAddress? (--agent HOST:PORT)");
        } catch (IOException e) {
            throw new TransportException("asking the agent at " + authority + " failed: " + e);
        }
        if (response.statusCode() != 200) {
            String message = response.body();
            try {
                message = OperatorJson.MAPPER.readTree(response.body()).path("error").asText(message);
            } catch (JsonProcessingException e) {
                // keep the raw body
            }
            throw new TransportException("agent at " + authority + " answered " + response.statusCode() + ": "
                    + message.trim());
        }
        return response.body();
    }

    private static <T> T read(String body, Class<T> type) {
        try {
            return OperatorJson.MAPPER.readValue(body, type);
        } catch (JsonProcessingException e) {
            throw new TransportException("the agent's answer is not a " + type.getSimpleName() + ": "
                    + e.getOriginalMessage());
        }
    }

    /** The human form of {@code edgelink status}. */
    static List<String> table(AgentStatus status) {
        AgentStatus.Node n = status.node();
        List<String> lines = new ArrayList<>();
        lines.add("node " + n.name() + "  peer " + n.peerId());
        lines.add("  pod CIDR " + n.podCidr() + "  tunnel address " + n.tunnelAddress() + "  pod MTU " + n.podMtu());
        lines.add("  underlay " + n.underlayDevice() + " " + n.underlayAddress() + "  tunnel mode " + n.tunnelMode());
        if (n.reachability() != null) {
            lines.add("  site " + (n.site() == null || n.site().isEmpty() ? "-" : n.site()) + "  reachability "
                    + n.reachability() + "  relay server " + (n.relayServer() ? "yes" : "no") + "  relay addresses "
                    + (n.relayAddrs().isEmpty() ? "-" : String.join(" ", n.relayAddrs())));
        }
        for (AgentStatus.Backend b : n.backends()) {
            lines.add("  " + b.path() + ": " + (b.available() ? "available" : "unavailable") + " (" + b.reason()
                    + ")");
        }
        List<String> failed = new ArrayList<>();
        n.taskFailures().forEach((task, count) -> {
            if (count > 0) {
                failed.add(task + " " + count);
            }
        });
        if (!failed.isEmpty()) {
            lines.add("  task failures (went on; see the agent's log): " + String.join(", ", failed));
        }
        lines.add("");
        if (status.peers().isEmpty()) {
            lines.add("no peers");
            return lines;
        }
        String format = "%-" + width(status) + "s  %-7s  %-9s  %9s  %-21s  %-20s  %-7s  %s";
        lines.add(String.format(Locale.ROOT, format, "PEER", "PATH", "STATE", "RTT", "BYTES TX/RX",
                "LAST CHANGE", "CONN", "WHY").stripTrailing());
        for (AgentStatus.Peer p : status.peers()) {
            String rtt = p.rttMillis() < 0 ? "-" : String.format(Locale.ROOT, "%.2f ms", p.rttMillis());
            String bytes = p.txBytes() < 0 ? "-" : p.txBytes() + "/" + p.rxBytes();
            String path = p.path() == null ? (p.trial() == null ? "-" : "(" + p.trial() + ")") : p.path();
            lines.add(String.format(Locale.ROOT, format, p.node(), path, p.state(), rtt, bytes,
                    p.lastChange().truncatedTo(java.time.temporal.ChronoUnit.SECONDS), links(p), p.why())
                    .stripTrailing());
            p.refusedCidrs().forEach(r -> lines.add("  refused " + r));
        }
        return lines;
    }

    /** "d+r", "d", "r" or "-": the direct and relayed connections; "n/a" for a static peer. */
    private static String links(AgentStatus.Peer p) {
        if (p.connection() == null) {
            return "n/a";
        }
        String d = p.connection().direct() ? "d" : "";
        String r = p.connection().relayed() ? "r" : "";
        return d.isEmpty() && r.isEmpty() ? "-" : d + (d.isEmpty() || r.isEmpty() ? "" : "+") + r;
    }

    private static int width(AgentStatus status) {
        int w = 4;
        for (AgentStatus.Peer p : status.peers()) {
            w = Math.max(w, p.node().length());
        }
        return w;
    }
}
