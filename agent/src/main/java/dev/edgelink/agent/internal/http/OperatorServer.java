package dev.edgelink.agent.internal.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.edgelink.agent.AgentView;
import dev.edgelink.agent.PingReport;
import dev.edgelink.libp2p.threads.TaskGuard;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator's view of a running agent over HTTP, on a loopback address only (the config refuses others; this
 * class checks again):
 *
 * <pre>
 *   GET /status              200 JSON: this node and every peer (path, why, RTT, bytes, last change)
 *   GET /metrics             200 Prometheus text format 0.0.4
 *   GET /ping?node=NAME[&amp;count=N]
 *                            200 JSON: N probes (1..{@value #MAX_PING_COUNT}, default 3) over the pod network and
 *                            the path they took; 400 bad query; 404 no such peer
 * </pre>
 *
 * Anything else is 404 (unknown path) or 405 (not GET). Errors are JSON {@code {"error": "..."}}. A few platform
 * threads serve requests, so a slow ping does not hold up a scrape. A request that fails with an exception is
 * answered 500 and counted as task {@value #REQUEST_TASK} (the next request does not depend on it); an
 * {@link Error} ends its thread, which the agent's {@code FatalThreadHandler} makes fatal.
 */
public final class OperatorServer implements AutoCloseable {
    public static final int MAX_PING_COUNT = 20;
    public static final int DEFAULT_PING_COUNT = 3;
    private static final Logger LOG = LoggerFactory.getLogger(OperatorServer.class);
    /** The task name of a failed request in the {@link TaskGuard}. */
    public static final String REQUEST_TASK = "http-request";
    private static final int THREADS = 4;
    private static final AtomicInteger IDS = new AtomicInteger();

    private final HttpServer server;
    private final ExecutorService executor;
    private final AgentView agent;
    private final TaskGuard tasks;

    private OperatorServer(HttpServer server, ExecutorService executor, AgentView agent, TaskGuard tasks) {
        this.server = server;
        this.executor = executor;
        this.agent = agent;
        this.tasks = tasks;
    }

    /**
     * Binds and starts serving.
     *
     * @param tasks counts requests that failed
     * @throws IllegalArgumentException if {@code address} is not a loopback address
     * @throws UncheckedIOException if the address cannot be bound (e.g. another agent runs)
     */
    public static OperatorServer start(InetSocketAddress address, AgentView agent, TaskGuard tasks) {
        if (address.getAddress() == null || !address.getAddress().isLoopbackAddress()) {
            throw new IllegalArgumentException("the status server listens on loopback only, not " + address);
        }
        HttpServer server;
        try {
            server = HttpServer.create(address, 16);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on " + address.getAddress().getHostAddress() + ":"
                    + address.getPort() + " for /status (" + e.getMessage() + "); is another agent running?", e);
        }
        ExecutorService executor = Executors.newFixedThreadPool(THREADS, r -> {
            Thread t = new Thread(r, "edgelink-http-" + IDS.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        tasks.track(REQUEST_TASK);
        OperatorServer s = new OperatorServer(server, executor, agent, tasks);
        server.createContext("/", s::handle);
        server.setExecutor(executor);
        server.start();
        LOG.info("status server listening (remote={})", s.address());
        return s;
    }

    /** The bound address (with the real port if 0 was asked for). */
    public String address() {
        InetSocketAddress a = server.getAddress();
        String host = a.getAddress().getHostAddress();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try {
            if (!"GET".equals(exchange.getRequestMethod())) {
                exchange.getResponseHeaders().add("Allow", "GET");
                error(exchange, 405, "only GET is served");
                return;
            }
            String path = exchange.getRequestURI().getPath();
            switch (path) {
                case "/status":
                    json(exchange, 200, agent.status());
                    break;
                case "/metrics":
                    send(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", agent.metrics());
                    break;
                case "/ping":
                    ping(exchange);
                    break;
                default:
                    error(exchange, 404, "no such endpoint " + path + " (try /status, /metrics, /ping?node=NAME)");
                    break;
            }
        } catch (RuntimeException e) {
            LOG.debug("status server: {} failed: {}", exchange.getRequestURI(), e.toString());
            tasks.failed(REQUEST_TASK, e);
            error(exchange, 500, "internal error: " + e);
        } finally {
            exchange.close();
        }
    }

    private void ping(HttpExchange exchange) throws IOException {
        Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
        String node = query.get("node");
        if (node == null || node.isBlank()) {
            error(exchange, 400, "missing query parameter node (e.g. /ping?node=node2)");
            return;
        }
        int count;
        try {
            count = Integer.parseInt(query.getOrDefault("count", Integer.toString(DEFAULT_PING_COUNT)));
        } catch (NumberFormatException e) {
            count = -1;
        }
        if (count < 1 || count > MAX_PING_COUNT) {
            error(exchange, 400, "count must be a number in 1.." + MAX_PING_COUNT);
            return;
        }
        Optional<PingReport> report = agent.ping(node, count);
        if (report.isEmpty()) {
            error(exchange, 404, "no peer named " + node);
            return;
        }
        json(exchange, 200, report.get());
    }

    static Map<String, String> query(String raw) {
        Map<String, String> out = new HashMap<>();
        if (raw == null) {
            return out;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String k = eq < 0 ? pair : pair.substring(0, eq);
            String v = eq < 0 ? "" : pair.substring(eq + 1);
            out.put(URLDecoder.decode(k, StandardCharsets.UTF_8), URLDecoder.decode(v, StandardCharsets.UTF_8));
        }
        return out;
    }

    private static void json(HttpExchange exchange, int code, Object body) throws IOException {
        String text;
        try {
            text = OperatorJson.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode " + body.getClass().getSimpleName(), e);
        }
        send(exchange, code, "application/json", text + "\n");
    }

    private static void error(HttpExchange exchange, int code, String message) throws IOException {
        String text = OperatorJson.MAPPER.createObjectNode().put("error", message).toString();
        send(exchange, code, "application/json", text + "\n");
    }

    private static void send(HttpExchange exchange, int code, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.sendResponseHeaders(code, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
        try {
            executor.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
