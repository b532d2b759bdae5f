package dev.edgelink.cni.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.cni.CniServer;
import dev.edgelink.cni.client.CniClientMain;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CNI socket's HTTP side with hand-written requests: what the launcher's curl sends, and what a hostile or
 * broken client could send instead. Every answer must be a complete HTTP response or a clean close, and the
 * server must go on serving.
 */
class CniServerHttpTest {
    @TempDir
    Path dir;
    private FakeAgent agent;
    private Path socket;
    private FakeCniService service;
    private CniServer server;

    @BeforeEach
    void setUp() throws IOException {
        agent = FakeAgent.start(dir, 1);
        socket = agent.socket;
        service = agent.service;
        server = agent.server;
    }

    @AfterEach
    void tearDown() {
        agent.close();
    }

    private String config(Path named) {
        return "{\"cniVersion\":\"1.0.0\",\"name\":\"edgelink\",\"type\":\"edgelink\",\"agentSocket\":\"" + named
                + "\"}";
    }

    private static String post(String headers, String body) {
        return "POST /cni HTTP/1.1\r\nHost: edgelink\r\n" + headers + "Content-Length: "
                + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body;
    }

    private String exchange(String request) throws IOException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            ByteBuffer out = ByteBuffer.wrap(request.getBytes(StandardCharsets.UTF_8));
            while (out.hasRemaining()) {
                ch.write(out);
            }
            return readAll(ch);
        }
    }

    private static String readAll(SocketChannel ch) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        ByteBuffer b = ByteBuffer.allocate(4096);
        while (ch.read(b) >= 0) {
            buf.write(b.array(), 0, b.position());
            b.clear();
        }
        return buf.toString(StandardCharsets.UTF_8);
    }

    private static String body(String response) {
        return response.substring(response.indexOf("\r\n\r\n") + 4);
    }

    /** What the JVM client prints for the same call, with its exit code as the status it maps to. */
    private String jvmClient(Map<String, String> env, String config) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int exit = CniClientMain.run(env, new ByteArrayInputStream(config.getBytes(StandardCharsets.UTF_8)),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(new ByteArrayOutputStream()));
        return (exit == 0 ? "200" : "500") + "|" + out.toString(StandardCharsets.UTF_8);
    }

    private static String statusAndBody(String response) {
        return response.substring(9, 12) + "|" + body(response);
    }

    @Test
    void anAddOverHttpAnswersWhatTheJvmClientPrints() throws IOException {
        String response = exchange(post("CNI_COMMAND: ADD\r\nCNI_CONTAINERID: c1\r\nCNI_NETNS: /run/netns/x\r\n"
                + "CNI_IFNAME: eth0\r\nCNI_ARGS: IgnoreUnknown=1;IP=10.244.1.9\r\n", config(socket)));
        assertTrue(response.startsWith("HTTP/1.1 200 OK\r\n"), response);
        assertEquals("10.244.1.9", service.calls.get(0).args().ip().getHostAddress());
        Map<String, String> env = new HashMap<>(Map.of("CNI_COMMAND", "ADD", "CNI_CONTAINERID", "c1", "CNI_NETNS",
                "/run/netns/x", "CNI_IFNAME", "eth0", "CNI_ARGS", "IgnoreUnknown=1;IP=10.244.1.9"));
        assertEquals(jvmClient(env, config(socket)), statusAndBody(response));
    }

    @Test
    void errorsOverHttpAreTheJvmClientsBytes() throws IOException {
        service.failure = new dev.edgelink.cni.CniException(dev.edgelink.cni.CniErrorCode.KERNEL_REFUSED,
                "veth refused", "EEXIST");
        Map<String, String> env = Map.of("CNI_COMMAND", "DEL", "CNI_CONTAINERID", "c1", "CNI_IFNAME", "eth0");
        String response = exchange(post("CNI_COMMAND: DEL\r\nCNI_CONTAINERID: c1\r\nCNI_IFNAME: eth0\r\n",
                config(socket)));
        assertEquals(jvmClient(env, config(socket)), statusAndBody(response));
        assertTrue(body(response).contains("\"code\":102"), response);
        String noContainer = exchange(post("CNI_COMMAND: ADD\r\nCNI_IFNAME: eth0\r\n", config(socket)));
        assertEquals(jvmClient(Map.of("CNI_COMMAND", "ADD", "CNI_IFNAME", "eth0"), config(socket)),
                statusAndBody(noContainer));
        assertTrue(body(noContainer).contains("\"code\":4"), noContainer);
    }

    /**
     * One worker (the fake agent serves one request at a time): a request that fails with a bug is answered 999 in
     * its protocol and counted, and the same server goes on with the next request in either protocol.
     */
    @Test
    void aRequestThatFailsWithABugIsAnswered999AndCountedAndTheServerGoesOn() throws IOException {
        service.failure = new NullPointerException("a bug on this request");
        String http = exchange(post("CNI_COMMAND: DEL\r\nCNI_CONTAINERID: c1\r\nCNI_IFNAME: eth0\r\n",
                config(socket)));
        assertTrue(http.startsWith("HTTP/1.1 500 "), http);
        assertTrue(body(http).contains("\"code\":999"), http);
        String json = jvmClient(Map.of("CNI_COMMAND", "DEL", "CNI_CONTAINERID", "c2", "CNI_IFNAME", "eth0"),
                config(socket));
        assertTrue(json.startsWith("500|") && json.contains("\"code\":999"), json);
        assertEquals(2, agent.tasks.failures(CniServer.REQUEST_TASK));

        service.failure = null;
        String next = exchange(post("CNI_COMMAND: ADD\r\nCNI_CONTAINERID: c3\r\nCNI_NETNS: /run/netns/x\r\n"
                + "CNI_IFNAME: eth0\r\n", config(socket)));
        assertTrue(next.startsWith("HTTP/1.1 200 OK\r\n"), next);
        assertTrue(jvmClient(Map.of("CNI_COMMAND", "DEL", "CNI_CONTAINERID", "c3", "CNI_IFNAME", "eth0"),
                config(socket)).startsWith("200|"));
        assertEquals(4, service.calls.size());
        assertEquals(2, agent.tasks.failures(CniServer.REQUEST_TASK));
    }

    @Test
    void aConfigNamingAnotherSocketIsMisdirectedAndNotRun() throws IOException {
        String response = exchange(post("CNI_COMMAND: DEL\r\nCNI_CONTAINERID: c1\r\nCNI_IFNAME: eth0\r\n",
                config(dir.resolve("other.sock"))));
        assertTrue(response.startsWith("HTTP/1.1 421 "), response);
        assertEquals(0, service.calls.size());
    }

    @Test
    void malformedAndOversizeRequestsAreAnsweredAndTheServerGoesOn() throws IOException {
        String garbage = exchange("GARBAGE\r\n\r\n");
        assertTrue(garbage.startsWith("HTTP/1.1 400 "), garbage);
        assertTrue(body(garbage).contains("\"code\":101"), garbage);
        String big = exchange("POST /cni HTTP/1.1\r\nContent-Length: 5000\r\n\r\n");
        assertTrue(big.startsWith("HTTP/1.1 413 "), big);
        String longHead = exchange("POST /cni HTTP/1.1\r\nX: " + "a".repeat(CniServer.MAX_HTTP_HEAD_BYTES)
                + "\r\n\r\n");
        assertTrue(longHead.startsWith("HTTP/1.1 431 "), longHead);
        String chunked = exchange("POST /cni HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
        assertTrue(chunked.startsWith("HTTP/1.1 501 "), chunked);
        assertEquals(0, service.calls.size());
        String ok = exchange(post("CNI_COMMAND: DEL\r\nCNI_CONTAINERID: c1\r\nCNI_IFNAME: eth0\r\n",
                config(socket)));
        assertTrue(ok.startsWith("HTTP/1.1 200 OK\r\n"), ok);
    }

    @Test
    void aClientThatStopsInTheMiddleIsClosedAfterTheReadTimeout() throws IOException {
        long start = System.nanoTime();
        assertEquals("", exchangeWithoutClosing("POST /cni HTTP/1.1\r\nContent-Length: 100\r\n\r\n{\"cniVer"));
        assertEquals("", exchangeWithoutClosing("POST /cni HTTP/1.1\r\nHost: edge"));
        assertTrue(System.nanoTime() - start < Duration.ofSeconds(10).toNanos());
        assertEquals(0, service.calls.size());
    }

    /** Sends a partial request and keeps the connection open: the server must close it. */
    private String exchangeWithoutClosing(String partial) throws IOException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            ch.write(ByteBuffer.wrap(partial.getBytes(StandardCharsets.UTF_8)));
            return readAll(ch);
        }
    }

    @Test
    void beyondTheConcurrencyLimitAnHttpCallIsAnsweredTryAgainLater() throws Exception {
        service.block = new CountDownLatch(1);
        Thread first = new Thread(() -> {
            try {
                exchange(post("CNI_COMMAND: DEL\r\nCNI_CONTAINERID: c1\r\nCNI_IFNAME: eth0\r\n", config(socket)));
            } catch (IOException ignored) {
                // the answer of the blocked call does not matter here
            }
        });
        first.start();
        while (service.calls.isEmpty()) {
            Thread.sleep(5);
        }
        String busy = exchange(post("CNI_COMMAND: DEL\r\nCNI_CONTAINERID: c2\r\nCNI_IFNAME: eth0\r\n",
                config(socket)));
        service.block.countDown();
        first.join(5000);
        assertTrue(busy.startsWith("HTTP/1.1 500 "), busy);
        assertEquals("{\"cniVersion\":\"1.0.0\",\"code\":11,\"msg\":\"edgelink agent is busy\",\"details\":"
                + "\"1 CNI requests are in progress\"}\n", body(busy));
        assertEquals(1, service.calls.size());
    }
}
