package dev.edgelink.cni.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgelink.cni.CniCommand;
import dev.edgelink.cni.CniErrorCode;
import dev.edgelink.cni.CniException;
import dev.edgelink.cni.CniServer;
import dev.edgelink.cni.client.CniClientMain;
import dev.edgelink.cni.codec.Vectors;
import dev.edgelink.cni.internal.codec.CniCodec;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The plugin client against a real {@link CniServer} on a unix socket, with a fake service behind it. */
class CniServerAndClientTest {
    @TempDir
    Path dir;
    private FakeAgent agent;
    private Path socket;
    private FakeCniService service;
    private CniServer server;

    @BeforeEach
    void setUp() throws IOException {
        agent = FakeAgent.start(dir, 2);
        socket = agent.socket;
        service = agent.service;
        server = agent.server;
    }

    @AfterEach
    void tearDown() {
        agent.close();
    }

    private String config(String version) {
        return "{\"cniVersion\":\"" + version + "\",\"name\":\"edgelink\",\"type\":\"edgelink\",\"agentSocket\":\""
                + socket + "\"}";
    }

    private static Map<String, String> env(String command) {
        Map<String, String> env = new HashMap<>();
        env.put("CNI_COMMAND", command);
        env.put("CNI_CONTAINERID", "c1");
        env.put("CNI_NETNS", "/run/netns/pod");
        env.put("CNI_IFNAME", "eth0");
        return env;
    }

    private record Run(int exit, String out, String err) {
        JsonNode json() {
            return Vectors.parse(out);
        }
    }

    private static Run client(Map<String, String> env, String stdin) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = CniClientMain.run(env, new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void addPrintsTheAgentsResultInTheConfigsVersion() {
        Run run = client(env("ADD"), config("1.0.0"));
        assertEquals(0, run.exit(), run.err());
        assertEquals(CniCodec.encodeResult(FakeCniService.result("1.0.0", "/run/netns/pod"), "1.0.0"), run.json());
        assertEquals(CniCommand.ADD, service.calls.get(0).command());
        assertEquals("c1", service.calls.get(0).containerId());
    }

    @Test
    void otherCommandsPrintNothingOnSuccess() {
        for (String command : new String[] {"DEL", "STATUS"}) {
            Run run = client(env(command), config("1.1.0"));
            assertEquals(0, run.exit(), run.out() + run.err());
            assertEquals("", run.out());
        }
        assertEquals(2, service.calls.size());
    }

    @Test
    void anAgentErrorIsPrintedAsACniErrorWithExit1() {
        service.failure = new CniException(CniErrorCode.ADDRESS_UNAVAILABLE, "requested address is in use", "x");
        Run run = client(env("ADD"), config("1.0.0"));
        assertEquals(1, run.exit());
        assertEquals("1.0.0", run.json().get("cniVersion").asText());
        assertEquals(103, run.json().get("code").asInt());
        assertEquals("requested address is in use", run.json().get("msg").asText());
        assertTrue(run.err().contains("code 103"), run.err());
    }

    @Test
    void aBugInTheServiceIsCode999() {
        service.failure = new IllegalStateException("oops");
        Run run = client(env("DEL"), config("1.1.0"));
        assertEquals(1, run.exit());
        assertEquals(999, run.json().get("code").asInt());
    }

    @Test
    void aBrokenConflistIsRefusedBeforeTheAgentIsAsked() {
        Run run = client(env("ADD"), "{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"type\":\"edgelink\",\"mtu\":\"x\"}");
        assertEquals(1, run.exit());
        assertEquals(7, run.json().get("code").asInt());
        assertTrue(run.json().get("msg").asText().contains("mtu"), run.out());
        assertEquals(0, service.calls.size());
    }

    @Test
    void anUnreachableAgentIsTryAgainLaterAndForStatusNotAvailable() {
        server.close();
        assertEquals(11, client(env("ADD"), config("1.1.0")).json().get("code").asInt());
        assertEquals(11, client(env("DEL"), config("1.1.0")).json().get("code").asInt());
        Run status = client(env("STATUS"), config("1.1.0"));
        assertEquals(1, status.exit());
        assertEquals(50, status.json().get("code").asInt());
        assertTrue(status.json().get("msg").asText().contains(socket.toString()));
    }

    @Test
    void versionNeedsNoAgent() {
        server.close();
        Run run = client(Map.of("CNI_COMMAND", "VERSION"), "{\"cniVersion\":\"0.4.0\"}");
        assertEquals(0, run.exit());
        assertEquals(CniCodec.encodeVersion("0.4.0"), run.json());
    }

    @Test
    void aMissingCommandIsCode4() {
        Run run = client(Map.of(), config("1.1.0"));
        assertEquals(1, run.exit());
        assertEquals(4, run.json().get("code").asInt());
        assertTrue(run.json().get("msg").asText().contains("CNI_COMMAND"));
    }

    @Test
    void theServerRefusesOversizedGarbageAndForeignRequests() throws IOException {
        assertEquals(6, rawError(new byte[5000]).code());
        assertEquals(6, rawError("not json".getBytes(StandardCharsets.UTF_8)).code());
        assertEquals(101, rawError("{\"edgelink-cni\":7}".getBytes(StandardCharsets.UTF_8)).code());
        assertEquals(4, rawError("{\"edgelink-cni\":1,\"env\":{},\"config\":{}}".getBytes(StandardCharsets.UTF_8))
                .code());
    }

    @Test
    void aSilentClientIsCutOffAfterTheReadTimeout() throws IOException {
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            long start = System.nanoTime();
            int n = ch.read(ByteBuffer.allocate(16));
            assertEquals(-1, n, "closed without an answer");
            assertTrue(System.nanoTime() - start < Duration.ofSeconds(5).toNanos());
        }
    }

    @Test
    void oneRequestMoreThanTheLimitIsToldToTryAgain() throws Exception {
        service.block = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<Run> a = pool.submit(() -> client(env("ADD"), config("1.1.0")));
            Future<Run> b = pool.submit(() -> client(env("ADD"), config("1.1.0")));
            while (service.calls.size() < 2) {
                Thread.sleep(5);
            }
            Run third = client(env("ADD"), config("1.1.0"));
            assertEquals(11, third.json().get("code").asInt());
            assertTrue(third.json().get("msg").asText().contains("busy"));
            service.block.countDown();
            assertEquals(0, a.get().exit());
            assertEquals(0, b.get().exit());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aStaleSocketFileIsReplacedButALiveOneIsNot() throws IOException {
        assertThrows(IOException.class, () -> new CniServer(service, socket).start());
        server.close();
        try (var ch = java.nio.channels.ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.bind(UnixDomainSocketAddress.of(socket));
        }
        assertTrue(Files.exists(socket), "a stale socket file");
        server = new CniServer(service, socket).start();
        assertEquals(0, client(env("DEL"), config("1.1.0")).exit());
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(socket)));
    }

    private CniException rawError(byte[] request) throws IOException {
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            ch.write(ByteBuffer.wrap(request));
            ch.shutdownOutput();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteBuffer b = ByteBuffer.allocate(4096);
            while (ch.read(b) >= 0) {
                out.write(b.array(), 0, b.position());
                b.clear();
            }
            return CniCodec.decodeError(Vectors.parse(out.toString(StandardCharsets.UTF_8)).get("error"));
        }
    }
}
